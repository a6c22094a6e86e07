#pragma once
// One WebSocket connection following many orders: it records each live
// event's append -> receive latency and each order's submit -> terminal.

#include <deque>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/stream.hpp>

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
  void close();

 private:
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> reader();
  void on_message(const std::string& text, std::int64_t received_ns, Clock::time_point received);

  Run& run_;
  boost::beast::websocket::stream<api::Transport> ws_;
  boost::asio::steady_timer wake_;
  std::deque<std::string> out_;
  bool closing_ = false;
};

}  // namespace oee::loadgen
