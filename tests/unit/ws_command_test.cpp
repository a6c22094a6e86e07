// What a WebSocket client may send, parsed: one order, every order, bare ids.
#include <gtest/gtest.h>

#include "api/http/ws_command.h"

namespace oee::api {
namespace {

constexpr const char* kId = "64f2677c-0d6b-4b59-9a52-0c4a2f1f1d3e";

TEST(WsCommand, SubscribeToOneOrderFromASeq) {
  const auto c = parse_ws_command(std::string(R"({"type":"subscribe","orderId":")") + kId + R"(","fromSeq":7})", false);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, WsCommand::Kind::subscribe);
  EXPECT_FALSE(c->all);
  EXPECT_EQ(c->order.str(), kId);
  EXPECT_EQ(c->from_seq, 7u);
}

TEST(WsCommand, SubscribeAndUnsubscribeEveryOrder) {
  const auto live = parse_ws_command(R"({"type":"subscribe","all":true})", false);
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_TRUE(live->all);
  EXPECT_EQ(live->from_seq, 0u);
  const auto past = parse_ws_command(R"({"type":"subscribe","all":true,"fromSeq":12345})", false);
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->all);
  EXPECT_EQ(past->from_seq, 12345u);
  const auto off = parse_ws_command(R"({"type":"unsubscribe","all":true})", false);
  ASSERT_TRUE(off);
  EXPECT_EQ(off->kind, WsCommand::Kind::unsubscribe);
  EXPECT_TRUE(off->all);
}

TEST(WsCommand, BadSubscriptionsToEveryOrderSayWhatIsWrong) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"type":"subscribe","all":"true"})", "invalid_all"},
      {R"({"type":"subscribe","all":1})", "invalid_all"},
      {std::string(R"({"type":"subscribe","all":true,"orderId":")") + kId + "\"}", "invalid_all"},
      {R"({"type":"subscribe","all":false})", "missing_field"},
      {R"({"type":"subscribe","all":true,"fromSeq":-1})", "invalid_from_seq"},
      {R"({"type":"subscribe","all":true,"fromSeq":1.5})", "invalid_from_seq"},
  };
  for (const auto& [text, code] : cases) {
    const auto c = parse_ws_command(text, false);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().code, code) << text;
    EXPECT_EQ(c.error().status, 400) << text;
  }
}

TEST(WsCommand, ABareIdOnTheBareIdPathOnly) {
  const auto bare = parse_ws_command(std::string(kId) + "\n", true);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->order.str(), kId);
  EXPECT_FALSE(parse_ws_command(kId, false));
  EXPECT_FALSE(parse_ws_command("not-an-id", true));
}

}  // namespace
}  // namespace oee::api
