// Crash safety with the real process: kill -9 under load and SIGTERM.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

// Submits from `threads` connections until stopped; records acknowledged ids.
class Load {
 public:
  Load(unsigned short port, int threads) {
    for (int t = 0; t < threads; ++t) {
      pool_.emplace_back([this, port] {
        try {
          HttpClient client(port);
          while (!stop_.load()) {
            const auto res = client.post_json("/api/orders/execute", order_body("0.5"));
            if (res.status != 202) continue;
            std::lock_guard lock(mu_);
            acked_.insert(std::string(res.json().at("orderId").as_string()));
          }
        } catch (const std::exception&) {
          // The server died under us: expected.
        }
      });
    }
  }
  ~Load() { join(); }
  void join() {
    stop_ = true;
    for (auto& t : pool_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t acked() {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  std::set<std::string> ids() {
    std::lock_guard lock(mu_);
    return acked_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::set<std::string> acked_;
  std::vector<std::thread> pool_;
};

// Every acknowledged order exists and reaches exactly one terminal event.
void expect_all_terminal_once(unsigned short port, const std::set<std::string>& ids) {
  HttpClient client(port);
  ASSERT_TRUE(eventually(
      [&] {
        const auto h = client.get("/health").json().at("executor");
        return h.at("inFlight").to_number<std::int64_t>() == 0 && h.at("waiting").to_number<std::int64_t>() == 0;
      },
      60s));
  std::set<std::string> tx_hashes;
  for (const auto& id : ids) {
    const auto res = client.get("/api/orders/" + id + "/events");
    ASSERT_EQ(res.status, 200) << "acknowledged order lost: " << id;
    const auto events = res.json().at("events").as_array();
    int terminal = 0;
    for (const auto& e : events) {
      if (e.as_object().contains("terminal")) {
        ++terminal;
        if (e.at("status").as_string() == "confirmed") {
          EXPECT_TRUE(tx_hashes.insert(std::string(e.at("txHash").as_string())).second)
              << "a tx was confirmed twice";
        }
      }
    }
    EXPECT_EQ(terminal, 1) << "order " << id << " has " << terminal << " terminal events";
  }
}

TEST(Crash, KillNineUnderLoadLosesNoAcknowledgedOrder) {
  TempDir dir;
  std::set<std::string> acked;
  for (int round = 0; round < 3; ++round) {
    ServerProcess server(dir.path() / "data", {"--sim", "fast"});
    server.start();
    {
      Load load(server.port(), 8);
      const std::size_t target = 200 + 150 * static_cast<std::size_t>(round);
      ASSERT_TRUE(eventually([&] { return load.acked() >= target; }, 60s));
      server.kill9();  // mid-load: appends and group commits in flight
      load.join();
      const auto ids = load.ids();
      acked.insert(ids.begin(), ids.end());
    }
    ServerProcess restarted(dir.path() / "data", {"--sim", "fast"});
    restarted.start();
    expect_all_terminal_once(restarted.port(), acked);
    EXPECT_EQ(restarted.terminate(), 0) << restarted.stderr_tail();
  }
  EXPECT_GE(acked.size(), 600u);
}

TEST(Crash, SigtermDrainsAndRestartResumesTheRest) {
  TempDir dir;
  std::set<std::string> ids;
  {
    ServerProcess server(dir.path() / "data", {"--sim", "realistic", "--fail-rate", "0"});
    server.start();
    HttpClient client(server.port());
    for (int i = 0; i < 40; ++i) {
      const auto res = client.post_json("/api/orders/execute", order_body("0.25"));
      ASSERT_EQ(res.status, 202);
      ids.insert(std::string(res.json().at("orderId").as_string()));
    }
    // Orders are mid-flight (execution takes 2-3 s): stop now.
    EXPECT_EQ(server.terminate(15s), 0) << server.stderr_tail();
  }
  ServerProcess restarted(dir.path() / "data", {"--sim", "realistic", "--fail-rate", "0"});
  restarted.start();
  expect_all_terminal_once(restarted.port(), ids);
  HttpClient client(restarted.port());
  for (const auto& id : ids) {
    EXPECT_EQ(client.get("/api/orders/" + id).json().at("status").as_string(), "confirmed") << id;
  }
}

}  // namespace
}  // namespace oee::e2e
