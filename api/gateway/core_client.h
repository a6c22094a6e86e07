#pragma once
// A gateway's HTTP client for the core: fetches an order's past events
// (GET /api/orders/{id}/events?fromSeq=) for catch-up and after gaps in
// the Redis feed, and the API keys' events (GET /api/keys/events). With
// authentication on it presents the admin key, and asks for an order's
// events on behalf of the API key a subscriber holds (asKey=), so the core
// decides what that key may see.
//
// Threading: events() may run concurrently on one executor; each call has
// a connection of its own for the exchange, with a deadline. Connections
// are kept alive and reused: a gateway catches up every new subscription,
// and a TCP connect, accept and close per subscription was a tenth of its
// CPU and a wait for each.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "api/stream/stream_source.h"
#include "api/tls/tls_context.h"
#include "core/wire/key_message.h"

namespace oee::api {

struct CoreEndpoint {
  std::string host;
  std::string port;
  bool tls = false;
  [[nodiscard]] std::string url() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

/// http://host[:port] or https://host[:port] (no path); errors say what is wrong.
[[nodiscard]] boost::system::result<CoreEndpoint, std::string> parse_core_url(std::string_view url);

class CoreClient {
 public:
  /// `credential`: the admin key, or empty with authentication off.
  /// `tls`: the CAs an https:// core's certificate is checked against.
  CoreClient(CoreEndpoint endpoint, std::string credential, TlsContext tls = nullptr,
             std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~CoreClient();
  CoreClient(const CoreClient&) = delete;
  CoreClient& operator=(const CoreClient&) = delete;

  /// The order's events with seq >= from, as the core renders them;
  /// not_found if `as_key` may not see the order.
  [[nodiscard]] boost::asio::awaitable<CatchUp> events(OrderId order, Seq from,
                                                       std::optional<core::KeyId> as_key) const;
  /// The newest `max` events of every order after `after` that `as_key`
  /// may see (every order's without it), with the positions the answer
  /// covers. Taken by value: [gcc12-coro].
  [[nodiscard]] boost::asio::awaitable<CatchUp> recent_events(eventlog::Position after, std::size_t max,
                                                              std::optional<core::KeyId> as_key) const;
  /// Every API key's events, in the order they happened (an error says why not).
  [[nodiscard]] boost::asio::awaitable<boost::system::result<std::vector<core::KeyMessage>, std::string>> key_events()
      const;
  [[nodiscard]] const CoreEndpoint& endpoint() const { return endpoint_; }

  /// Requests sent to the core, and the connections opened for them.
  [[nodiscard]] std::uint64_t requests() const { return requests_.load(); }
  [[nodiscard]] std::uint64_t connections_opened() const { return opened_.load(); }

 private:
  struct Connection;
  struct Answer {
    unsigned status;
    std::string body;
  };
  [[nodiscard]] boost::asio::awaitable<boost::system::result<Answer, std::string>> get(
      const std::string& target) const;  // the caller keeps `target` until it resumes
  [[nodiscard]] boost::asio::awaitable<std::unique_ptr<Connection>> connect(std::string& error) const;
  [[nodiscard]] std::unique_ptr<Connection> take_idle() const;
  void drop_idle() const;
  void keep_idle(std::unique_ptr<Connection> connection) const;

  CoreEndpoint endpoint_;
  std::string credential_;
  TlsContext tls_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<Connection>> idle_;
  mutable std::atomic<std::uint64_t> requests_{0};
  mutable std::atomic<std::uint64_t> opened_{0};
};

}  // namespace oee::api
