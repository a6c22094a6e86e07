// Power loss: the machine goes off while appends are in flight, and every
// write that no fsync covered is gone. Every append the log acknowledged
// must still be there, unchanged, and the log must open and read densely.

#include <atomic>
#include <future>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "eventlog/rocksdb/detail/log.h"
#include "eventually.h"
#include "power_loss_fs.h"
#include "scratch_log.h"

namespace oee::eventlog {
namespace {

using namespace std::chrono_literals;

AppendCommand command(const OrderId& order, int n) {
  AppendCommand c;
  c.order = order;
  c.type = 1;
  c.payload = "event " + std::to_string(n);
  return c;
}

TEST(PowerLoss, EveryAcknowledgedAppendSurvivesLosingUnsyncedWrites) {
  const oee::testing::TempDir dir("power-loss");
  const std::string path = (dir.path() / "log").string();
  const std::string probe_path = (dir.path() / "probe").string();
  auto fs = std::make_shared<oee::testing::PowerLossFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);

  std::mutex mu;
  std::map<std::uint64_t, std::string> acknowledged;  // seq -> payload
  std::map<std::uint64_t, std::string> acked_copy;    // acknowledged when the power went
  std::uint64_t dropped = 0;
  {
    detail::RocksDbLog log(Options{.path = path, .durability = Durability::sync}, detail::OpenMode::primary, env.get());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        const OrderId order = OrderId::random();
        for (int n = 0; !stop; ++n) {
          std::promise<void> done;
          auto c = command(order, w * 1'000'000 + n);
          const std::string payload = c.payload;
          log.append(std::move(c), [&, payload](Result<AppendOutcome> r) {
            if (r) {
              std::lock_guard lock(mu);
              acknowledged.emplace(r->seq.value, payload);
            }
            done.set_value();
          });
          done.get_future().wait();
        }
      });
    }
    // Power goes off mid-load, with appends queued and a commit under way.
    ASSERT_TRUE(oee::testing::eventually_true(
        [&] {
          std::lock_guard lock(mu);
          return acknowledged.size() >= 3'000;
        },
        60s));
    // Bytes written and never synced, for certain (the log's own may all be
    // synced when the cut falls between two commits): they must be gone.
    std::unique_ptr<rocksdb::FSWritableFile> probe;
    ASSERT_TRUE(fs->NewWritableFile(probe_path, rocksdb::FileOptions(), &probe, nullptr).ok());
    ASSERT_TRUE(probe->Append(rocksdb::Slice("written, never synced"), rocksdb::IOOptions(), nullptr).ok());
    {
      // What was acknowledged when the power went: a real machine's process
      // dies with it, so an append answered later (its sync silently skipped
      // by the dead disk) was never acknowledged to anyone.
      std::lock_guard lock(mu);
      fs->cut_power();
      acked_copy = acknowledged;
    }
    stop = true;
    for (auto& t : writers) t.join();
    // The log wrote through the file system that lost the power (a log on
    // the real one would lose nothing, and prove nothing): it appended and
    // synced there, and now refuses every append.
    EXPECT_GT(fs->appended_bytes(), 0u);
    EXPECT_GT(fs->syncs(), 0u);
    std::promise<bool> after_cut;
    log.append(command(OrderId::random(), -1), [&](Result<AppendOutcome> r) { after_cut.set_value(r.has_value()); });
    auto answered = after_cut.get_future();
    ASSERT_EQ(answered.wait_for(30s), std::future_status::ready) << "an append after the cut was never answered";
    EXPECT_FALSE(answered.get()) << "an append was acknowledged with the power off";
    // The log closes into a dead disk: nothing it writes now arrives.
  }
  dropped = fs->drop_unsynced();
  // What no sync covered is really gone from the files.
  EXPECT_GE(dropped, std::string_view("written, never synced").size());
  EXPECT_EQ(std::filesystem::file_size(probe_path), 0u) << "unsynced bytes survived the power loss";
  RecordProperty("acknowledged", static_cast<int>(acked_copy.size()));
  RecordProperty("dropped_bytes", static_cast<int>(dropped));

  detail::RocksDbLog reopened(Options{.path = path, .durability = Durability::sync}, detail::OpenMode::primary);
  const auto records = reopened.read(Seq{1}, 10'000'000);
  ASSERT_TRUE(records) << records.error().message();
  std::uint64_t expected_seq = 1;
  for (const auto& r : *records) EXPECT_EQ(r.seq.value, expected_seq++) << "a gap after the power loss";
  ASSERT_FALSE(acked_copy.empty());
  EXPECT_GE(reopened.head().value, acked_copy.rbegin()->first) << "acknowledged appends were lost";
  for (const auto& [seq, payload] : acked_copy) {
    ASSERT_LE(seq, records->size()) << "acknowledged seq " << seq << " is gone";
    EXPECT_EQ((*records)[seq - 1].payload, payload) << "seq " << seq << " changed";
  }
  reopened.close();
}

}  // namespace
}  // namespace oee::eventlog
