#pragma once
// One asynchronous Redis connection: hiredis's async API driven by Asio
// (readiness waits on a posix::stream_descriptor over hiredis's socket), so
// no thread ever blocks on a reply.
//
// Lifecycle: make() → connect() (resolve, TCP connect, AUTH, SELECT) →
// commands → close() or loss. A connection is used once; reconnecting means
// making a new one. When the connection is lost, every pending reply handler
// runs with nullptr and the disconnect handler runs once.
// Threading: every member must be called on the executor given to make()
// (a strand or a one-thread io_context); handlers run there too.
// Ownership: callers hold the shared_ptr; in-flight waits keep it alive.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "api/redis/redis_url.h"

namespace oee::api {

/// A reply, copied out of hiredis.
struct RedisValue {
  enum class Kind { string, array, integer, nil, status, error };
  Kind kind = Kind::nil;
  std::string text;  // string, status, error
  long long integer = 0;
  std::vector<RedisValue> items;  // array
};

/// Whether a connection is ready to use; the error says why not.
using RedisReady = boost::system::result<void, std::string>;

class RedisConnection {
 public:
  /// nullptr: the connection was lost before the reply arrived.
  using ReplyHandler = std::function<void(const RedisValue*)>;
  /// Pub/sub pushes (["message", channel, payload], ["subscribe", ...]).
  using PushHandler = std::function<void(const RedisValue&)>;

  static std::shared_ptr<RedisConnection> make(boost::asio::any_io_executor executor);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Connects and authenticates: ready, or what failed ("connection
  /// refused", "WRONGPASS ...", "timed out").
  [[nodiscard]] boost::asio::awaitable<RedisReady> connect(const RedisEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout);

  /// Queues a command (pipelined: it does not wait for earlier replies).
  /// Returns false if the connection is not usable.
  bool command(const std::vector<std::string_view>& args, ReplyHandler on_reply = {});

  /// Sends a command and waits for its reply; nullopt on loss or timeout
  /// (after a timeout the connection is closed: replies would be misaligned).
  [[nodiscard]] boost::asio::awaitable<std::optional<RedisValue>> call(std::vector<std::string_view> args,
                                                                       std::chrono::milliseconds timeout);

  /// SUBSCRIBE; `on_push` runs for the confirmation and every message.
  bool subscribe(const std::string& channel, PushHandler on_push);

  /// Runs once when the connection is lost (not after close()).
  void on_disconnect(std::function<void(std::string reason)> handler);

  [[nodiscard]] bool connected() const;
  void close();

  struct State;

 private:
  explicit RedisConnection(boost::asio::any_io_executor executor);
  // AUTH or SELECT while connecting: ready, or what failed.
  boost::asio::awaitable<RedisReady> setup_command(std::vector<std::string_view> args, const RedisEndpoint& endpoint,
                                                   std::chrono::milliseconds timeout);
  std::shared_ptr<State> state_;
};

}  // namespace oee::api
