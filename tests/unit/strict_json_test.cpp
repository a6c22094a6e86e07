// Client JSON and query strings parsed strictly: a doubled key or
// parameter is an error naming it, never "the last one wins".

#include <string>
#include <string_view>
#include <vector>

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

// Past a handful of keys an object's keys are kept another way: the
// checks hold either side of that, and in objects nested in such an object.
TEST(StrictJson, DuplicatesAreFoundInObjectsWithManyKeys) {
  // Built with append: GCC 12 warns falsely on `"x" + std::string`.
  const auto key = [](int i) {
    std::string k("k");
    k.append(std::to_string(i));
    return k;
  };
  const auto object_of = [&key](int keys, std::string_view extra) {
    std::string text("{");
    for (int i = 0; i < keys; ++i) text.append("\"").append(key(i)).append("\":").append(std::to_string(i)).append(",");
    return text.append(extra).append("}");
  };
  const auto inside = [](std::string_view before, const std::string& object, std::string_view after) {
    std::string text(before);
    return text.append(object).append(after);
  };
  for (const int keys : {1, 15, 16, 17, 40, 500}) {
    SCOPED_TRACE(keys);
    const auto clean = parse_json_strict(object_of(keys, "\"last\":{\"k0\":1,\"k1\":2}"));
    ASSERT_TRUE(clean);
    EXPECT_EQ(clean->as_object().size(), static_cast<std::size_t>(keys) + 1);
    for (const int again : {0, keys - 1}) {
      std::string extra("\"");
      extra.append(key(again)).append("\":0");
      const auto doubled = parse_json_strict(object_of(keys, extra));
      ASSERT_FALSE(doubled);
      EXPECT_EQ(doubled.error().code, "duplicate_field");
      EXPECT_EQ(doubled.error().field, key(again));
    }
    // A nested object with many keys, then its parent's keys go on.
    const auto nested = parse_json_strict(inside("{\"a\":1,\"inner\":", object_of(keys, "\"z\":1"), ",\"b\":2,\"a\":3}"));
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().field, "a");
    const auto inner_doubled = parse_json_strict(inside("{\"a\":1,\"inner\":", object_of(keys, "\"k0\":1"), ",\"b\":2}"));
    ASSERT_FALSE(inner_doubled);
    EXPECT_EQ(inner_doubled.error().field, "k0");
  }
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
