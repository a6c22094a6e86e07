#pragma once
// The shape the publisher and the feed share: a thread of its own running
// an io_context, on which a session keeps a Redis connection busy until the
// connection is lost or the worker stops, then connects again.
//
// Reconnecting: a failed connect, or a session lost within a second of
// connecting, waits 100 ms, doubling to 5 s; a session that lasted longer
// reconnects at once. Every failure is kept as the last error and logged at
// the first and then at the slow retries, so an outage is visible without
// flooding the log.
//
// Lifecycle: start() spawns the thread and runs `body` on it; the body calls
// serve() (usually once, after any setup of its own). stop() wakes the
// thread, gives the session up to `stop_deadline` to finish, and joins.
// Threading: everything but stop(), status() and the atomics runs on the
// worker's thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_url.h"

namespace oee::api {

class RedisWorker {
 public:
  /// `name` names the thread (oee-<name>) and prefixes its log lines.
  RedisWorker(std::string name, RedisEndpoint endpoint);
  ~RedisWorker();
  RedisWorker(const RedisWorker&) = delete;
  RedisWorker& operator=(const RedisWorker&) = delete;

  void start(std::function<boost::asio::awaitable<void>()> body);
  /// False when there was nothing to stop (never started, or stopped before).
  bool stop(std::chrono::milliseconds stop_deadline = std::chrono::seconds(3));

  /// Connects, runs `session` on each connection until stopping, and
  /// reconnects as above. The session returns when its connection is lost
  /// (see lost()) or the worker is stopping.
  boost::asio::awaitable<void> serve(std::function<boost::asio::awaitable<void>(RedisConnection&)> session);

  /// Sleeps until woken (wake()), the session's connection is lost, the
  /// worker stops, or `d` passes (never, by default).
  boost::asio::awaitable<void> sleep(
      std::chrono::steady_clock::duration d = std::chrono::steady_clock::duration::max());
  /// Ends a sleep early; any thread may call it.
  void wake();
  /// Waits `d` unless the worker stops: a retry's pause, which wake() does
  /// not cut short.
  boost::asio::awaitable<void> back_off(std::chrono::milliseconds d);
  /// Ends the current session: its connection is of no more use (lost, or
  /// Redis refused what the session needs). On the worker's thread.
  void drop(std::string reason);

  [[nodiscard]] const RedisEndpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] bool stopping() const { return stopping_.load(); }
  /// Whether the current session's connection is gone.
  [[nodiscard]] bool lost() const { return lost_; }
  [[nodiscard]] bool connected() const { return connected_.load(); }
  [[nodiscard]] std::uint64_t reconnects() const { return reconnects_.load(); }
  [[nodiscard]] std::string last_error() const;
  void set_error(std::string error);

 private:
  boost::asio::awaitable<void> run(std::function<boost::asio::awaitable<void>()> body);

  std::string name_;
  RedisEndpoint endpoint_;
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer wake_{ioc_};
  boost::asio::steady_timer backoff_{ioc_};   // not cut short by wake()
  boost::asio::steady_timer deadline_{ioc_};  // bounds stop()
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> woken_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  bool lost_ = false;  // on the worker's thread
  mutable std::mutex mu_;
  std::string last_error_;
};

}  // namespace oee::api
