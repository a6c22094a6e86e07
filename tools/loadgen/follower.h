#pragma once
// One WebSocket connection following many orders: it records each live
// event's append -> receive latency and each order's submit -> terminal.
// With --submit-over ws it submits them too, one at a time (submit()), and
// its orders' subscriptions end by themselves.

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>

#include "api/tls/transport.h"
#include "tools/loadgen/run.h"

namespace oee::loadgen {

class Follower : public std::enable_shared_from_this<Follower> {
 public:
  explicit Follower(Run& run);

  boost::asio::awaitable<bool> connect();
  /// Starts reading and writing; call once connected.
  void start();
  void send(std::string text);
  /// Submits the run's order body over this socket and waits for the
  /// answer; false once the socket is gone.
  boost::asio::awaitable<bool> submit(Clock::time_point due);
  void close();

 private:
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> reader();
  void on_message(const std::string& text, std::int64_t received_ns, Clock::time_point received);
  void on_answer(const boost::json::object& answer, bool accepted, Clock::time_point received);

  Run& run_;
  boost::beast::websocket::stream<api::Transport> ws_;
  boost::asio::steady_timer wake_;
  std::deque<std::string> out_;
  bool closing_ = false;
  bool gone_ = false;  // the reader ended
  // The submit awaiting its answer (one at a time).
  struct Submitting {
    std::string request_id;
    Clock::time_point due;
    std::int64_t sent_ns = 0;
    bool answered = false;
    bool refused = false;  // 401 or 403: every further submit would be too
  };
  std::optional<Submitting> submitting_;
  std::uint64_t submits_ = 0;
  boost::asio::steady_timer answered_;
};

}  // namespace oee::loadgen
