// A data directory from before the ledger: its simulated chain's journal
// is taken over once, so no transaction it remembers is sent again.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/engine/landed_journal.h"
#include "scratch_log.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::core {
namespace {

TEST(LandedJournal, ItsCompleteLinesMoveIntoTheLedgerOnce) {
  const oee::testing::TempDir temp("journal");
  const auto& dir = temp.path();
  const auto file = dir / "landed.txt";
  {
    std::ofstream out(file);
    out << "5Kd3aaa 1500000\n4Hq9bbb 27\n3Zz1ccc 99\n2Cut";  // the last line was cut short by a crash
  }
  auto ledger = eventlog::open_rocksdb_store(eventlog::StoreOptions{.path = (dir / "ledger").string()});
  EXPECT_EQ(import_landed_journal(file, *ledger), 3u);
  EXPECT_EQ(ledger->get("5Kd3aaa").value(), std::optional<std::string>("1500000"));
  EXPECT_EQ(ledger->get("4Hq9bbb").value(), std::optional<std::string>("27"));
  EXPECT_EQ(ledger->get("3Zz1ccc").value(), std::optional<std::string>("99"));
  EXPECT_FALSE(ledger->get("2Cut").value().has_value());
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_TRUE(std::filesystem::exists(dir / "landed.txt.imported"));
  EXPECT_EQ(import_landed_journal(file, *ledger), 0u) << "a second start imports nothing";
}

}  // namespace
}  // namespace oee::core
