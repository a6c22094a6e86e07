// Client JSON and query strings parsed strictly: a doubled key or
// parameter is an error naming it, never "the last one wins".

#include <gtest/gtest.h>

#include "api/http/request_target.h"
#include "api/http/strict_json.h"

namespace oee::api {
namespace {

TEST(StrictJson, ADuplicateKeyIsRefusedAndNamed) {
  struct Case {
    std::string text;
    std::string field;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"amount":10,"amount":1000000})", "amount"},
           {R"({"a":1,"b":{"x":1,"y":2,"x":3}})", "x"},
           {R"([{"k":1},{"k":2,"k":3}])", "k"},
           {R"({"":1,"":2})", ""},
           {R"({"a\u0062":1,"ab":2})", "ab"},  // the same key, escaped once
       }) {
    SCOPED_TRACE(c.text);
    auto r = parse_json_strict(c.text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, "duplicate_field");
    EXPECT_EQ(r.error().field, c.field);
  }
}

TEST(StrictJson, TheSameKeyInSiblingObjectsIsFine) {
  auto r = parse_json_strict(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("b").at("k").as_int64(), 2);
}

TEST(StrictJson, InvalidJsonIsInvalidJson) {
  for (const std::string text : {"", "{", "{\"a\":1,}", "[1] [2]", "nul"}) {
    auto r = parse_json_strict(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "invalid_json") << text;
  }
}

TEST(RequestTarget, ADoubledQueryParameterIsRefusedAndNamed) {
  auto r = parse_request_target("/api/dlq?limit=1&limit=1000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "duplicate_field");
  EXPECT_EQ(r.error().field, "limit");
}

TEST(RequestTarget, SegmentsAndParametersAreDecoded) {
  auto r = parse_request_target("/api//orders/a%20b?status=confirmed&cursor=x%3Dy");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->segments, (std::vector<std::string>{"api", "orders", "a b"}));
  EXPECT_EQ(r->params.at("cursor"), "x=y");
  EXPECT_FALSE(parse_request_target("no-slash"));
}

}  // namespace
}  // namespace oee::api
