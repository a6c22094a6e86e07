#include "eventlog/position.h"

#include <gtest/gtest.h>

#include "api/http/request_target.h"

namespace oee::eventlog {
namespace {

TEST(Position, TheEmbeddedLogWritesABareSeqOfWhatComesNext) {
  Position p;
  EXPECT_EQ(p.next_text(), "1");
  p.advance(PartitionId{0}, Seq{41});
  EXPECT_EQ(p.next_text(), "42");
  const auto back = Position::parse_next("42", false, 1);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
  // fromSeq 0 and 1 both mean "from the start".
  EXPECT_EQ(Position::parse_next("0", false, 1)->at(PartitionId{0}), Seq{0});
  EXPECT_EQ(Position::parse_next("1", false, 1)->at(PartitionId{0}), Seq{0});
  EXPECT_FALSE(Position::parse_next("0:5", false, 1));
  EXPECT_FALSE(Position::parse_next("-1", false, 1));
  EXPECT_FALSE(Position::parse_next("", false, 1));
}

TEST(Position, AClustersPositionNamesEachPartitionItHasMovedIn) {
  Position p(true);
  EXPECT_EQ(p.next_text(), "");
  p.advance(PartitionId{3}, Seq{250});
  p.advance(PartitionId{0}, Seq{17});
  p.advance(PartitionId{0}, Seq{5});  // never back
  EXPECT_EQ(p.next_text(), "0:18,3:251");
  EXPECT_TRUE(p.covers(PartitionId{3}, Seq{250}));
  EXPECT_FALSE(p.covers(PartitionId{3}, Seq{251}));
  EXPECT_FALSE(p.covers(PartitionId{1}, Seq{1}));
  EXPECT_EQ(p.total(), 267u);
  const auto back = Position::parse_next("3:251,0:18", true, 4);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
}

TEST(Position, AClustersPositionRefusesWhatIsNotOne) {
  for (const char* bad : {"5", "0:1,0:2", "4:1", "0:", ":3", "0:1,", "0:x", "0;1", "0:1,,1:1", "99999999999999999999:1"}) {
    EXPECT_FALSE(Position::parse_next(bad, true, 4)) << bad;
  }
  EXPECT_TRUE(Position::parse_next("", true, 4)) << "nothing named: every partition from its start";
}

TEST(Position, ARefusedFromSeqSaysHowAPositionIsWritten) {
  const auto refused = api::parse_position("12", true, 8);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 400);
  EXPECT_EQ(refused.error().code, "invalid_from_seq");
  EXPECT_NE(refused.error().message.find("0:17"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(api::parse_position("12", false, 1));
}

}  // namespace
}  // namespace oee::eventlog
