#pragma once
// A gateway's HTTP client for the core: fetches an order's past events
// (GET /api/orders/{id}/events?fromSeq=) for catch-up and after gaps in
// the Redis feed.
//
// Threading: events() may run concurrently on any executor; each call uses
// its own short-lived loopback/LAN connection with a deadline.

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "api/stream_source.h"

namespace oee::api {

struct CoreEndpoint {
  std::string host;
  std::string port;
  [[nodiscard]] std::string url() const { return "http://" + host + ":" + port; }
};

/// http://host[:port] (no path); errors say what is wrong.
[[nodiscard]] boost::system::result<CoreEndpoint, std::string> parse_core_url(std::string_view url);

class CoreClient {
 public:
  explicit CoreClient(CoreEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  /// The order's events with seq >= from, as the core renders them.
  [[nodiscard]] boost::asio::awaitable<CatchUp> events(OrderId order, Seq from) const;
  [[nodiscard]] const CoreEndpoint& endpoint() const { return endpoint_; }

 private:
  CoreEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

/// Reads one status message as published or served by the core; nullptr
/// if it is not one.
[[nodiscard]] std::shared_ptr<const StatusUpdate> parse_status_update(std::string text);

}  // namespace oee::api
