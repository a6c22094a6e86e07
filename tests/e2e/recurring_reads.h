#pragma once
// What the recurring-order e2e tests read of a recurring order over REST:
// its object, events, children and slice events, and the check that each
// child was created once and ended once.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {

namespace json = boost::json;

inline std::string recurring_body(const std::string& amount, int slices, int interval, const std::string& extra = "") {
  return R"({"type":"recurring","inputToken":"SOL","outputToken":"USDC","amount":")" + amount +
         R"(","slices":)" + std::to_string(slices) + R"(,"interval":)" + std::to_string(interval) + extra + "}";
}

inline json::object order_object(HttpClient& c, const std::string& id) { return c.get("/api/orders/" + id).json().as_object(); }

inline json::array order_events(HttpClient& c, const std::string& id) {
  return c.get("/api/orders/" + id + "/events").json().at("events").as_array();
}

inline std::vector<std::string> children(HttpClient& c, const std::string& id) {
  std::vector<std::string> ids;
  const json::object o = order_object(c, id);
  for (const auto& child : o.at("children").as_array()) ids.emplace_back(child.as_string());
  return ids;
}

// The slice events of a recurring order, by slice number: each slice's
// events (sliceStarted or sliceSkipped), and their due times.
struct Slices {
  std::map<std::int64_t, int> count;       // slice -> how many events
  std::map<std::int64_t, std::int64_t> due;  // slice -> dueAt (ms)
  std::map<std::int64_t, std::string> child;
  int skipped = 0;
};
inline Slices slices_of(HttpClient& c, const std::string& id) {
  Slices s;
  for (const auto& e : order_events(c, id)) {
    const auto& name = e.at("event").as_string();
    if (name != "sliceStarted" && name != "sliceSkipped") continue;
    const std::int64_t k = e.at("slice").as_int64();
    ++s.count[k];
    s.due[k] = e.at("dueAt").as_int64();
    if (name == "sliceStarted") s.child[k] = std::string(e.at("childId").as_string());
    if (name == "sliceSkipped") ++s.skipped;
  }
  return s;
}

// Every child was created once, under its slice, and ended once.
inline void expect_each_child_once(HttpClient& c, const std::string& parent, const Slices& s) {
  for (const auto& [k, child] : s.child) {
    const auto evs = order_events(c, child);
    int submitted = 0, terminal = 0;
    for (const auto& e : evs) {
      if (e.at("event") == "submitted") {
        ++submitted;
        EXPECT_EQ(e.at("parentId"), json::value(parent));
        EXPECT_EQ(e.at("slice").as_int64(), k);
      }
      if (e.as_object().contains("terminal")) ++terminal;
    }
    EXPECT_EQ(submitted, 1) << "slice " << k << "'s order " << child;
    EXPECT_EQ(terminal, 1) << "slice " << k << "'s order " << child;
  }
}

// The steps oee-watch printed of an order's stream, "order event" per
// message, checking that they come in stream order (one partition's seqs).
inline std::vector<std::string> watched_steps(const std::string& out) {
  std::vector<std::string> seen;
  StreamAt last{};
  for (std::size_t at = 0, end; (end = out.find('\n', at)) != std::string::npos; at = end + 1) {
    const json::value m = json::parse(out.substr(at, end - at));
    if (!m.as_object().contains("event")) continue;
    EXPECT_GT(stream_at(m), last) << "in seq order";
    last = stream_at(m);
    seen.push_back(std::string(m.at("orderId").as_string()) + " " + std::string(m.at("event").as_string()));
  }
  return seen;
}

}  // namespace oee::e2e
