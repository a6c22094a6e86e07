#pragma once
// A private Redis server for one test, started with tools/redis_server.sh
// on a free loopback port in a temp dir and removed on destruction.

#include <cstdint>
#include <filesystem>
#include <string>

namespace oee::testing {

class RedisServer {
 public:
  /// Non-empty `password`: the server requires it (and url() carries it).
  explicit RedisServer(const std::string& password = {});  // throws if the server cannot start
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// kill -9 (an outage), then start again on the same port.
  void kill();
  void resume();
  /// Disconnects every pub/sub subscriber, leaving publishers connected.
  void kick_subscribers();
  /// Runs one command (words separated by spaces, none quoted); throws on an error reply.
  void command(const std::string& words);

 private:
  std::filesystem::path dir_;
  std::string url_;
  std::uint16_t port_ = 0;
};

}  // namespace oee::testing
