#pragma once
// Awaitable form of OrderStore::append for Asio coroutines. The completion
// resumes the coroutine on its own executor, never on the log's writer thread.

#include <boost/asio/awaitable.hpp>

#include "core/order_store.h"

namespace oee::core {

[[nodiscard]] boost::asio::awaitable<eventlog::Result<AppendedEvent>> async_append(
    OrderStore& store, const OrderId& id, const OrderState& current, const OrderEvent& event,
    const eventlog::IdempotencyClaim* claim = nullptr);

}  // namespace oee::core
