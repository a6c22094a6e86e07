// The hub carries a running slice's updates to its recurring order's
// followers, and forgets its slices when the order completes, even those
// whose end it missed (a gap in a gateway's feed).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "api/stream/hub.h"

namespace oee::api {
namespace {

struct Recorder final : Subscriber {
  void deliver(std::shared_ptr<const StatusUpdate> update) override { got.push_back(std::move(update)); }
  void resync(const OrderId&) override {}
  std::vector<std::shared_ptr<const StatusUpdate>> got;
};

std::shared_ptr<const StatusUpdate> update(const OrderId& order, int seq, const std::string& event, bool terminal) {
  return parse_status_update(R"({"orderId":")" + order.str() + R"(","seq":)" + std::to_string(seq) +
                             R"(,"event":")" + event + R"(")" + (terminal ? R"(,"terminal":true)" : "") + "}");
}

TEST(HubSlices, ASlicesUpdatesReachItsParentsFollowersUntilTheParentCompletes) {
  boost::asio::io_context ioc;
  Hub hub(ioc.get_executor());
  const auto parent = OrderId::random(), running = OrderId::random(), missed = OrderId::random();
  auto follower = std::make_shared<Recorder>();
  hub.subscribe(parent, follower);
  hub.add_slice(running, parent);
  hub.add_slice(missed, parent);

  hub.fan_out(update(running, 10, "routingStarted", false));
  ASSERT_EQ(follower->got.size(), 1u);
  EXPECT_EQ(follower->got[0]->order, running);
  EXPECT_EQ(follower->got[0]->parent, parent);
  EXPECT_FALSE(follower->got[0]->terminal) << "a slice's end is not its parent's stream's";

  hub.fan_out(update(running, 11, "confirmed", true));
  ASSERT_EQ(follower->got.size(), 2u);
  EXPECT_TRUE(follower->got[1]->slice_ended);

  // `missed` ended unseen; the parent's completion says every slice ended.
  hub.fan_out(update(parent, 12, "recurringCompleted", true));
  ASSERT_EQ(follower->got.size(), 3u);
  EXPECT_TRUE(follower->got[2]->completes_slices);
  hub.fan_out(update(missed, 13, "confirmed", true));
  EXPECT_EQ(follower->got.size(), 3u) << "the completed order's slice is still carried to its stream";
}

}  // namespace
}  // namespace oee::api
