// A full disk under the data directory: appends are refused (503, nothing
// acknowledged that is not durable), the server stays up and says why, and
// it takes orders again by itself once space is freed. Needs root, to
// mount a small tmpfs of its own.

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "small_disk.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

// The server's extra arguments. With a small --log-memory, memtables are
// flushed every few megabytes, so the full disk may fail a flush before
// the WAL; the log must come back either way. (Whether the writer is then
// waiting at the memtables' bound is a race this test does not steer.)
class DiskFull : public ::testing::TestWithParam<std::vector<std::string>> {};

INSTANTIATE_TEST_SUITE_P(LogMemory, DiskFull,
                         ::testing::Values(std::vector<std::string>{},
                                           std::vector<std::string>{"--log-memory", "10"}),
                         [](const auto& info) { return info.param.empty() ? "Default" : "Small"; });

TEST_P(DiskFull, AppendsAreRefusedUntilSpaceIsFreedThenResumeWithoutARestart) {
  if (const auto why = oee::testing::SmallDisk::cannot_mount()) GTEST_SKIP() << *why;
  TempDir dir;
  const auto mount_point = dir.path() / "disk";
  // Room for the log's 32 MB write buffer twice over: RocksDB clears a
  // full-disk error only once that much is free again.
  oee::testing::SmallDisk disk(mount_point, "160m");
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs failed";
  {
    std::vector<std::string> args{"--sim", "fast"};
    args.insert(args.end(), GetParam().begin(), GetParam().end());
    ServerProcess server(mount_point / "data", args);
    server.start();
    ASSERT_GT(oee::testing::fill_disk(mount_point / "ballast"), 0u);

    // Submit until the log's preallocated WAL runs out and appends fail.
    std::mutex mu;
    std::vector<std::string> acknowledged;
    std::atomic<bool> refused{false};
    std::string refusal;
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&] {
        HttpClient client(server.port());
        const auto deadline = std::chrono::steady_clock::now() + 120s;
        while (!refused && std::chrono::steady_clock::now() < deadline) {
          auto r = client.post_json("/api/orders/execute", order_body());
          std::lock_guard lock(mu);
          if (r.status == 202) {
            acknowledged.push_back(std::string(r.json().at("orderId").as_string()));
          } else {
            refusal = r.body;
            refused = r.status == 503;
            if (!refused) return;
          }
        }
      });
    }
    for (auto& c : clients) c.join();
    ASSERT_TRUE(refused) << "no 503 after " << acknowledged.size() << " orders: " << refusal;
    ASSERT_FALSE(acknowledged.empty()) << "the disk was full before any order: " << refusal;
    EXPECT_EQ(boost::json::parse(refusal).at("error").at("code"), "log_unavailable") << refusal;
    EXPECT_NE(refusal.find("No space left"), std::string::npos) << refusal;

    HttpClient client(server.port());
    auto health = client.get("/health").json();
    EXPECT_EQ(health.at("status"), "degraded");
    EXPECT_EQ(health.at("log").at("status"), "degraded");
    EXPECT_NE(std::string(health.at("log").at("error").as_string()).find("No space left"), std::string::npos);
    EXPECT_EQ(client.post_json("/api/orders/execute", order_body()).status, 503);
    EXPECT_EQ(metric_value(client.get("/metrics").body, "oee_log_writable"), 0);
    // Reads go on.
    EXPECT_EQ(client.get("/api/orders/" + acknowledged.front()).status, 200);

    std::filesystem::remove(mount_point / "ballast");
    ASSERT_TRUE(eventually([&] { return client.post_json("/api/orders/execute", order_body()).status == 202; }, 60s))
        << server.stdout_tail() << server.stderr_tail();
    EXPECT_EQ(client.get("/health").json().at("status"), "ok");
    EXPECT_GE(metric_value(client.get("/metrics").body, "oee_log_recoveries_total"), 1);

    // Orders whose steps were refused go on from their last durable event.
    ASSERT_TRUE(eventually(
        [&] {
          const auto h = client.get("/health").json();
          return h.at("executor").at("inFlight").as_int64() == 0 && h.at("executor").at("paused").as_int64() == 0;
        },
        60s))
        << client.get("/health").body;
    std::size_t confirmed = 0;
    for (const auto& id : acknowledged) {
      auto r = client.get("/api/orders/" + id);
      ASSERT_EQ(r.status, 200) << "acknowledged order " << id << " is gone";
      if (r.json().at("status") == "confirmed") ++confirmed;
    }
    EXPECT_EQ(confirmed, acknowledged.size()) << "every acknowledged order ends confirmed (fail rate 0)";
    EXPECT_EQ(server.terminate(), 0);
  }
  auto verify = run({kLogdump, "--data-dir", (mount_point / "data").string(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace oee::e2e
