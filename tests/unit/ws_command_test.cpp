// What a WebSocket client may send, parsed: one order, every order, bare ids.
#include <gtest/gtest.h>

#include <tuple>

#include "api/http/ws_command.h"

namespace oee::api {
namespace {

constexpr const char* kId = "64f2677c-0d6b-4b59-9a52-0c4a2f1f1d3e";

TEST(WsCommand, SubscribeToOneOrderFromASeq) {
  const auto c = parse_ws_command(std::string(R"({"type":"subscribe","orderId":")") + kId + R"(","fromSeq":7})", false);
  ASSERT_TRUE(c) << c.error().error.message;
  EXPECT_EQ(c->kind, WsCommand::Kind::subscribe);
  EXPECT_FALSE(c->all);
  EXPECT_EQ(c->order.str(), kId);
  EXPECT_EQ(c->from_seq, 7u);
}

TEST(WsCommand, SubscribeAndUnsubscribeEveryOrder) {
  const auto live = parse_ws_command(R"({"type":"subscribe","all":true})", false);
  ASSERT_TRUE(live) << live.error().error.message;
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
    EXPECT_EQ(c.error().error.code, code) << text;
    EXPECT_EQ(c.error().error.status, 400) << text;
  }
}

TEST(WsCommand, ASubmitCarriesItsRequestIdOrderAndKey) {
  const auto c = parse_ws_command(
      R"({"type":"submit","requestId":"r-1","order":{"inputToken":"SOL","outputToken":"USDC","amount":"1"},"idempotencyKey":"k1"})",
      false);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, WsCommand::Kind::submit);
  EXPECT_EQ(c->request_id, "r-1");
  EXPECT_EQ(c->order_body, R"({"inputToken":"SOL","outputToken":"USDC","amount":"1"})");
  EXPECT_EQ(c->idempotency_key, "k1");
}

TEST(WsCommand, ABadSubmitSaysWhatIsWrongAndNamesItsRequestIdWhenItCan) {
  const std::string long_id(kMaxRequestId + 1, 'x');
  const std::tuple<std::string, std::string, std::string> cases[] = {
      {R"({"type":"submit","order":{}})", "invalid_request_id", ""},
      {R"({"type":"submit","requestId":7,"order":{}})", "invalid_request_id", ""},
      {R"({"type":"submit","requestId":"","order":{}})", "invalid_request_id", ""},
      {R"({"type":"submit","requestId":")" + long_id + R"(","order":{}})", "invalid_request_id", ""},
      {R"({"type":"submit","requestId":"r"})", "missing_field", "r"},
      {R"({"type":"submit","requestId":"r","order":"SOL"})", "missing_field", "r"},
      {R"({"type":"submit","requestId":"r","order":{},"amount":"1"})", "unknown_field", "r"},
      {R"({"type":"submit","requestId":"r","order":{},"idempotencyKey":1})", "invalid_idempotency_key", "r"},
  };
  for (const auto& [text, code, request_id] : cases) {
    const auto c = parse_ws_command(text, false);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().error.code, code) << text;
    EXPECT_EQ(c.error().request_id, request_id) << text;
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
