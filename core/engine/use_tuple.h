#pragma once
// The completion token of every awaited Asio operation whose error is
// handled where it happens: `auto [ec, n] = co_await op(..., use_tuple);`
// instead of an exception for an error that is part of normal operation
// (a peer gone, a timer cancelled at stop).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace oee
