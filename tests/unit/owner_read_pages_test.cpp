// Reads of many orders asked of a partition's owner, a page per request:
// the owner's pages and the asker's loop, against an owner in memory with
// pages small enough to need several.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "eventlog/jetstream/detail/owner_read_pages.h"
#include "eventlog/jetstream/detail/owner_read_wire.h"

namespace oee::eventlog::jetstream::detail {
namespace {

// An owner that holds `held` and answers pages of `page` members, or of
// `page_bytes` of snapshots; it counts what it is asked.
struct PagingOwner {
  std::map<OrderId, OrderSnapshotEntry> held;
  std::size_t page = 3;
  std::size_t page_bytes = 64;
  int asks = 0;

  AskOwner members_asker() {
    return [this](std::string, Headers headers) -> Result<std::string> {
      ++asks;
      std::size_t max = 0;
      std::optional<OrderId> after;
      for (const auto& [name, value] : headers) {
        if (name == "Oee-Max") max = std::stoul(value);
        if (name == "Oee-After") after = OrderId::parse(value);
      }
      std::vector<OrderId> ids;
      for (const auto& entry : held) ids.push_back(entry.first);
      std::reverse(ids.begin(), ids.end());  // the set's order is not the page's
      return members_page(std::move(ids), after, max, page);
    };
  }
  AskOwner snapshots_asker() {
    return [this](std::string data, Headers) -> Result<std::string> {
      ++asks;
      return snapshots_page(
          data,
          [this](const OrderId& id) -> Result<std::optional<OrderSnapshotEntry>> {
            const auto it = held.find(id);
            return it == held.end() ? std::optional<OrderSnapshotEntry>{} : std::optional(it->second);
          },
          page_bytes);
    };
  }
};

PagingOwner owner_of(std::size_t orders, std::size_t snapshot_bytes) {
  PagingOwner owner;
  for (std::size_t i = 0; i < orders; ++i)
    owner.held.emplace(OrderId::random(), OrderSnapshotEntry{Seq{i + 1}, std::string(snapshot_bytes, char('a' + i % 26))});
  return owner;
}

TEST(OwnerReadPages, MembersComeByIdAPageAtATimeUntilTheLastPage) {
  auto owner = owner_of(10, 1);
  auto read = read_members(owner.members_asker(), OrderSet::active, 1000, owner.page);
  ASSERT_TRUE(read) << read.error().message();
  std::vector<OrderId> expected;
  for (const auto& entry : owner.held) expected.push_back(entry.first);
  EXPECT_EQ(*read, expected);
  EXPECT_EQ(owner.asks, 4) << "10 members in pages of 3: four asks";
}

TEST(OwnerReadPages, MembersStopAtTheMaxAskedFor) {
  auto owner = owner_of(10, 1);
  auto read = read_members(owner.members_asker(), OrderSet::active, 7, owner.page);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 7U);
  EXPECT_EQ(read->back(), std::next(owner.held.begin(), 6)->first);
  EXPECT_EQ(owner.asks, 3);
}

TEST(OwnerReadPages, AFullLastPageCostsOneMoreAskThatFindsNothing) {
  auto owner = owner_of(6, 1);
  auto read = read_members(owner.members_asker(), OrderSet::active, 1000, owner.page);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), 6U);
  EXPECT_EQ(owner.asks, 3);
}

TEST(OwnerReadPages, SnapshotsComeInTheOrderAskedWithNoneForAnUnknownOrder) {
  auto owner = owner_of(12, 20);  // 1 + 8 + 4 + 20 bytes each: two to an 80-byte page
  owner.page_bytes = 80;
  std::vector<OrderId> asked;
  for (const auto& entry : owner.held) asked.push_back(entry.first);
  std::reverse(asked.begin(), asked.end());
  const auto stranger = OrderId::random();
  asked.insert(asked.begin() + 5, stranger);
  auto read = read_snapshots(owner.snapshots_asker(), asked, 5);
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_EQ(read->size(), asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    if (asked[i] == stranger) {
      EXPECT_FALSE((*read)[i]) << "an unknown order has no snapshot";
      continue;
    }
    ASSERT_TRUE((*read)[i]) << i;
    EXPECT_EQ((*read)[i]->snapshot, owner.held.at(asked[i]).snapshot) << i;
    EXPECT_EQ((*read)[i]->last_seq, owner.held.at(asked[i]).last_seq) << i;
  }
  EXPECT_GE(owner.asks, 6) << "a page holds two snapshots: 13 orders take several asks";
  EXPECT_LE(owner.asks, 8);
}

TEST(OwnerReadPages, ASnapshotLargerThanAPageStillComesOneAtATime) {
  auto owner = owner_of(3, 200);
  std::vector<OrderId> asked;
  for (const auto& entry : owner.held) asked.push_back(entry.first);
  auto read = read_snapshots(owner.snapshots_asker(), asked, 100);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 3U);
  for (std::size_t i = 0; i < asked.size(); ++i) EXPECT_EQ((*read)[i]->snapshot.size(), 200U);
  EXPECT_EQ(owner.asks, 3);
}

TEST(OwnerReadPages, AnAnswerThatIsNotAPageIsRefusedNotTrusted) {
  std::vector<OrderId> asked{OrderId::random()};
  const auto answer_with = [](std::string text) {
    return [text](std::string, Headers) -> Result<std::string> { return text; };
  };
  for (const std::string& bad : {std::string("members "), std::string("snapshots "),
                                std::string("snapshots ") + '\x01' + "short", std::string("snapshots ") + '\x07'}) {
    auto read = read_snapshots(answer_with(bad), asked, 10);
    ASSERT_FALSE(read) << "accepted " << bad;
    EXPECT_EQ(read.error(), Errc::corrupted);
  }
  const auto a = OrderId::random(), b = OrderId::random();
  std::string unsorted(owner_read_wire::kMembers);
  unsorted += std::max(a, b).view();
  unsorted += std::min(a, b).view();
  auto members = read_members(answer_with(unsorted), OrderSet::active, 10, 10);
  ASSERT_FALSE(members) << "members out of order would page wrongly";
  EXPECT_EQ(members.error(), Errc::corrupted);
}

}  // namespace
}  // namespace oee::eventlog::jetstream::detail
