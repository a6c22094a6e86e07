// The cluster's partition layout, where child orders live, and the --nats
// URL list, without a cluster.

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/placements.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/types.h"

namespace oee::eventlog::jetstream {
namespace {

OrderId id(const char* text) { return *OrderId::parse(text); }

TEST(ClusterLayout, AnOrdersPartitionIsTheCrc32cOfItsBytesModuloTheCount) {
  // Fixed values: every node of a cluster, of any build, must agree on them.
  const auto order = id("0a440b5a-9227-4b82-8c29-b79466d293fe");
  EXPECT_EQ(partition_of(order, 8).value, 7u);
  EXPECT_EQ(partition_of(order, 1).value, 0u);
  EXPECT_EQ(partition_of(id("00000000-0000-0000-0000-000000000000"), 8).value, 0x42709aeaU % 8);
  EXPECT_EQ(partition_of(id("00000000-0000-0000-0000-000000000000"), 1000).value, 0x42709aeaU % 1000);
}

TEST(ClusterLayout, OrdersSpreadOverEveryPartition) {
  std::array<int, 8> counts{};
  for (int i = 0; i < 8000; ++i) ++counts[partition_of(OrderId::random(), 8).value];
  for (const int n : counts) {
    EXPECT_GT(n, 800);
    EXPECT_LT(n, 1200);
  }
}

TEST(ClusterLayout, NamesFollowTheGrammar) {
  EXPECT_EQ(partition_stream(PartitionId{3}), "OEE_P3");
  EXPECT_EQ(batch_subject(PartitionId{3}), "oee.p3.b");
  EXPECT_EQ(forward_subject(PartitionId{3}), "oee.forward.p3");
  EXPECT_EQ(lease_key(PartitionId{3}), "p3");
}

TEST(Placements, AChildOrdersPartitionIsKeptForTwoGenerationsThenForgotten) {
  detail::Placements placements(2);
  const auto first = OrderId::random(), second = OrderId::random(), third = OrderId::random();
  EXPECT_FALSE(placements.find(first));
  placements.learn(first, PartitionId{3});
  EXPECT_EQ(placements.find(first), PartitionId{3});
  placements.learn(first, PartitionId{3});  // learnt again: still one entry
  placements.learn(second, PartitionId{5});  // fills the generation: both move to the older one
  EXPECT_EQ(placements.find(first), PartitionId{3});
  EXPECT_EQ(placements.find(second), PartitionId{5});
  placements.learn(third, PartitionId{1});
  placements.learn(OrderId::random(), PartitionId{1});  // fills it again: first and second are dropped
  EXPECT_FALSE(placements.find(first));
  EXPECT_FALSE(placements.find(second));
  EXPECT_EQ(placements.find(third), PartitionId{1});
}

TEST(NatsUrls, AListIsSplitAndEachUrlChecked) {
  EXPECT_EQ(parse_urls("nats://127.0.0.1:4222"), std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(parse_urls(" nats://u:p@a:1, tls://b:2 ,"),
            (std::vector<std::string>{"nats://u:p@a:1", "tls://b:2"}));
  for (const char* bad : {"", ",", "127.0.0.1:4222", "http://a:1", "nats://a", "nats://a:0", "nats://a:65536",
                          "nats://a:12x", "nats://:4222"})
    EXPECT_THROW((void)parse_urls(bad), std::invalid_argument) << bad;
}

TEST(NatsUrls, AnErrorDoesNotShowThePassword) {
  try {
    (void)parse_urls("nats://user:secret@host");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oee::eventlog::jetstream
