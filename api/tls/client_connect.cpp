#include "api/tls/client_connect.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string ConnectFailure::describe(const std::string& host, const std::string& port) const {
  switch (step) {
    case Step::resolve: return "cannot resolve " + host + ": " + error.message();
    case Step::connect: return "cannot connect to " + host + ":" + port + ": " + error.message();
    case Step::tls: return "TLS with " + host + ":" + port + ": " + error.message();
  }
  return error.message();
}

asio::awaitable<std::optional<ConnectFailure>> connect_client(Transport& stream, const std::string& host,
                                                              const std::string& port, asio::ssl::context* tls,
                                                              const std::string& name) {
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_tuple);
  if (rec) co_return ConnectFailure{ConnectFailure::Step::resolve, rec};
  auto [cec, connected] = co_await stream.tcp().async_connect(endpoints, use_tuple);
  if (cec) co_return ConnectFailure{ConnectFailure::Step::connect, cec};
  boost::system::error_code ignored;
  stream.tcp().socket().set_option(tcp::no_delay(true), ignored);
  if (tls != nullptr) {
    auto [hec] = co_await stream.async_client_handshake(*tls, name, use_tuple);
    if (hec) co_return ConnectFailure{ConnectFailure::Step::tls, hec};
  }
  co_return std::nullopt;
}

}  // namespace oee::api
