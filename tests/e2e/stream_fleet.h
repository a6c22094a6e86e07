#pragma once
// A core publishing to a real Redis, and gateways fed by it, each a real
// process; ready once every one of them is subscribed. With
// `gateways_log_in` the gateways use a Redis user of their own, "gw", so a
// test can cut them off (ACL SETUSER gw off; CLIENT KILL USER gw) while the
// core keeps publishing.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "redis_server.h"

namespace oee::e2e {

struct StreamFleet {
  explicit StreamFleet(int gateways, std::vector<std::string> core_args = {},
                         std::vector<std::string> gateway_args = {}, bool gateways_log_in = false)
      : core(dir.path() / "core", with_redis(core_args)) {
    using namespace std::chrono_literals;
    if (gateways_log_in) redis.command("ACL SETUSER gw on >gwpass ~* &* +@all");
    core.start();
    for (int i = 0; i < gateways; ++i) {
      std::vector<std::string> args = {"--role", "gateway", "--core-url",
                                       "http://127.0.0.1:" + std::to_string(core.port())};
      args.insert(args.end(), gateway_args.begin(), gateway_args.end());
      args.push_back("--redis-url");
      args.push_back(gateways_log_in ? "redis://gw:gwpass@127.0.0.1:" + std::to_string(redis.port()) : redis.url());
      gateway.push_back(std::make_unique<ServerProcess>(dir.path() / ("gw" + std::to_string(i)), args));
      gateway.back()->start();
    }
    // Subscribed gateways and a connected publisher: from here on nothing
    // published is missed for lack of a listener.
    HttpClient probe(core.port());
    EXPECT_TRUE(eventually([&] { return probe.get("/health").json().at("redis").at("status") == "ok"; }, 20s));
    for (auto& g : gateway) {
      HttpClient h(g->port());
      EXPECT_TRUE(eventually([&] { return h.get("/health").json().at("redis").at("status") == "ok"; }, 20s))
          << g->stderr_tail();
    }
  }

  /// Whether every gateway has received, within `timeout`, all the core
  /// has logged so far.
  bool gateways_caught_up(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    HttpClient probe(core.port());
    const auto head = probe.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
    for (auto& g : gateway) {
      HttpClient h(g->port());
      const bool caught_up = eventually(
          [&] { return h.get("/health").json().at("redis").at("lastSeq").to_number<std::uint64_t>() >= head; },
          timeout);
      if (!caught_up) return false;
    }
    return true;
  }

  std::vector<std::string> with_redis(std::vector<std::string> args) const {
    args.push_back("--redis-url");
    args.push_back(redis.url());
    return args;
  }

  oee::testing::RedisServer redis;
  TempDir dir;
  ServerProcess core;
  std::vector<std::unique_ptr<ServerProcess>> gateway;
};

}  // namespace oee::e2e
