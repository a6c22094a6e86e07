// The simulated market's launches on disk: a restart puts every launch back
// with its number, time and flags; a line cut short by a crash is dropped;
// a damaged line refuses to start; a launch the disk does not take does not
// happen.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch_log.h"
#include "small_disk.h"
#include "core/engine/launch_journal.h"

namespace oee::core {
namespace {

Launch new_launch(const std::string& token, Venue venue, const std::string& quote = "SOL") {
  return Launch{.token = *TokenId::name(token),
                .quote = token_id(quote),
                .venue = venue,
                .token_reserve = Amount{500'000'000'000'000},
                .quote_reserve = Amount{50'000'000'000},
                .mint_renounced = venue == Venue::raydium,
                .freeze_authority = quote == "USDC"};
}

void expect_same(const std::vector<Launch>& a, const std::vector<Launch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].token, b[i].token) << i;
    EXPECT_EQ(a[i].quote, b[i].quote) << i;
    EXPECT_EQ(a[i].venue, b[i].venue) << i;
    EXPECT_EQ(a[i].token_reserve, b[i].token_reserve) << i;
    EXPECT_EQ(a[i].quote_reserve, b[i].quote_reserve) << i;
    EXPECT_EQ(a[i].mint_renounced, b[i].mint_renounced) << i;
    EXPECT_EQ(a[i].freeze_authority, b[i].freeze_authority) << i;
    EXPECT_EQ(a[i].launched_at, b[i].launched_at) << i;
    EXPECT_EQ(a[i].number, b[i].number) << i;
  }
}

TEST(LaunchJournal, ARestartPutsEveryLaunchBackWithItsNumberTimeAndFlags) {
  const testing::TempDir dir("launches");
  const auto file = dir.path() / "simchain" / "launches.txt";
  Market before;
  {
    LaunchJournal journal(file, before);
    EXPECT_EQ(journal.restored(), 0u);
    ASSERT_TRUE(journal.launch({new_launch("JRNA", Venue::raydium)}));
    ASSERT_TRUE(journal.launch({new_launch("JRNA", Venue::meteora)}));
    ASSERT_TRUE(journal.launch({new_launch("JRNB", Venue::meteora, "USDC")}));
    EXPECT_EQ(journal.launch({new_launch("JRNA", Venue::raydium)}).error(), LaunchError::already_launched);
  }
  Market after;
  LaunchJournal journal(file, after);
  EXPECT_EQ(journal.restored(), 3u);
  expect_same(after.launches_after(0), before.launches_after(0));
  // The pools trade again, and a venue taken before the restart stays taken.
  EXPECT_TRUE(after.pool(Venue::meteora, token_id("USDC").token(), TokenId::name("JRNB")->token(),
                         std::chrono::system_clock::now()));
  EXPECT_EQ(journal.launch({new_launch("JRNA", Venue::meteora)}).error(), LaunchError::already_launched);
  const auto next = journal.launch({new_launch("JRNB", Venue::raydium)});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->front().number, 4u);

  // Launches asked together happen together, or none of them: one venue
  // taken refuses both.
  EXPECT_EQ(journal.launch({new_launch("JRNC", Venue::raydium), new_launch("JRNB", Venue::raydium)}).error(),
            LaunchError::already_launched);
  EXPECT_TRUE(after.launches_of(*TokenId::name("JRNC")).empty());
  const auto both = journal.launch({new_launch("JRNC", Venue::raydium), new_launch("JRNC", Venue::meteora)});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->at(0).number, 5u);
  EXPECT_EQ(both->at(1).number, 6u);

  Market third;
  EXPECT_EQ(LaunchJournal(file, third).restored(), 6u);
  expect_same(third.launches_after(0), after.launches_after(0));
}

TEST(LaunchJournal, ALastLineCutShortByACrashIsDropped) {
  const testing::TempDir dir("launches-torn");
  const auto file = dir.path() / "launches.txt";
  {
    Market m;
    LaunchJournal journal(file, m);
    ASSERT_TRUE(journal.launch({new_launch("TORNA", Venue::raydium)}));
  }
  std::ofstream(file, std::ios::app) << "2 TORNB SOL rayd";
  Market m;
  LaunchJournal journal(file, m);
  EXPECT_EQ(journal.restored(), 1u);
  const auto next = journal.launch({new_launch("TORNB", Venue::raydium)});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->front().number, 2u);
  Market again;
  LaunchJournal reopened(file, again);
  EXPECT_EQ(reopened.restored(), 2u);
  expect_same(again.launches_after(0), m.launches_after(0));
}

TEST(LaunchJournal, AWholeLineThatIsNotALaunchRefusesToStart) {
  const testing::TempDir dir("launches-bad");
  for (const std::string bad : {"not a launch\n", "1 SOL USDC raydium 1 1 1 0 5\n", "2 GOOD SOL raydium 1 1 1 0 5\n",
                                "1 GOOD SOL nowhere 1 1 1 0 5\n", "1 GOOD SOL raydium 1 1 2 0 5\n",
                                "1 GOOD SOL raydium 0 1 1 0 5\n", "1 GOOD SOL raydium 1 1 1 0 5 extra\n"}) {
    const auto file = dir.path() / "launches.txt";
    std::ofstream(file, std::ios::trunc) << bad;
    Market m;
    EXPECT_THROW(LaunchJournal(file, m), std::runtime_error) << bad;
    EXPECT_TRUE(m.launches_after(0).empty()) << bad;
  }
}

TEST(LaunchJournal, ALaunchTheDiskDoesNotTakeDoesNotHappen) {
  if (const auto why = oee::testing::SmallDisk::cannot_mount()) GTEST_SKIP() << *why;
  testing::SmallDisk disk(testing::unique_temp_path("launches-full"), "1m");
  ASSERT_TRUE(disk.mounted());
  Market m;
  LaunchJournal journal(disk.path() / "launches.txt", m);
  ASSERT_GT(testing::fill_disk(disk.path() / "ballast"), 0u);
  EXPECT_EQ(journal.launch({new_launch("FULLA", Venue::raydium)}).error(), LaunchError::not_recorded);
  EXPECT_TRUE(m.launches_after(0).empty());
  EXPECT_FALSE(m.pool(Venue::raydium, token_id("SOL").token(), TokenId::name("FULLA")->token(),
                      std::chrono::system_clock::now()));

  std::filesystem::remove(disk.path() / "ballast");
  const auto launched = journal.launch({new_launch("FULLA", Venue::raydium)});
  ASSERT_TRUE(launched);
  EXPECT_EQ(launched->front().number, 1u);
  Market after;
  EXPECT_EQ(LaunchJournal(disk.path() / "launches.txt", after).restored(), 1u);
}

}  // namespace
}  // namespace oee::core
