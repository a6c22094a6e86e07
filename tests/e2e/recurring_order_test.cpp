// Recurring (DCA/TWAP) orders against the real server: the amount in
// slices, one per interval, each a child market order of its own; slices
// outside the price range are skipped and say why; a cancel stops the
// slices left; the schedule survives kill -9, a slice never runs twice, and
// one that fell due while the server was down runs once at restart (each
// missed one with catchUp).

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "chain_ledger.h"
#include "harness.h"
#include "order_reads.h"
#include "recurring_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

TEST(RecurringOrders, SlicesRunOneIntervalApartAsChildOrdersAndTheParentAddsThemUp) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  const std::string id = submit_orders(c, 1, recurring_body("3", 3, 1))[0];
  ASSERT_TRUE(reaches(c, id, "completed", 30s)) << order_object(c, id);

  const json::object parent = order_object(c, id);
  EXPECT_EQ(parent.at("orderType"), "recurring");
  EXPECT_EQ(parent.at("recurring").at("slices"), 3);
  EXPECT_EQ(parent.at("recurring").at("interval"), 1);
  const auto& progress = parent.at("progress");
  EXPECT_EQ(progress.at("done"), 3) << parent;
  EXPECT_EQ(progress.at("skipped"), 0);
  EXPECT_EQ(progress.at("left"), 0);
  EXPECT_EQ(progress.at("spent"), "3");
  EXPECT_TRUE(parent.at("terminal").as_bool());

  const auto kids = children(c, id);
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(kids.begin(), kids.end()).size(), 3u);
  std::uint64_t received = 0;
  for (std::size_t k = 0; k < kids.size(); ++k) {
    const json::object child = order_object(c, kids[k]);
    EXPECT_EQ(child.at("orderType"), "market");
    EXPECT_EQ(child.at("parentId"), json::value(id));
    EXPECT_EQ(child.at("slice").as_int64(), static_cast<std::int64_t>(k));
    EXPECT_EQ(child.at("status"), "confirmed");
    EXPECT_EQ(child.at("amountIn"), "1");
    received += units(child.at("amountOut").as_string(), 6);
  }
  EXPECT_EQ(units(progress.at("received").as_string(), 6), received) << "the parent received what its children did";
  EXPECT_FALSE(progress.at("averagePrice").is_null());

  const Slices s = slices_of(c, id);
  ASSERT_EQ(s.due.size(), 3u);
  EXPECT_EQ(s.due.at(1) - s.due.at(0), 1000) << "one interval apart, on the schedule";
  EXPECT_EQ(s.due.at(2) - s.due.at(1), 1000);
  EXPECT_EQ(event_names(c, id), (std::vector<std::string>{"submitted", "recurringStarted", "sliceStarted",
                                                          "sliceStarted", "sliceStarted", "recurringCompleted"}));
  expect_each_child_once(c, id, s);

  // As of the second slice's start, the first slice's order had ended: the
  // parent's progress then counts it done, from GET and from oee-logdump.
  std::uint64_t second_start = 0;
  for (const auto& e : order_events(c, id)) {
    if (e.at("event") == "sliceStarted" && e.at("slice").as_int64() == 1) second_start = e.at("seq").to_number<std::uint64_t>();
  }
  ASSERT_GT(second_start, 0u);
  const auto then = c.get("/api/orders/" + id + "?asOf=" + std::to_string(second_start));
  ASSERT_EQ(then.status, 200) << then.body;
  const auto progress_then = then.json().at("progress");
  EXPECT_EQ(progress_then.at("done"), 1) << then.body;
  EXPECT_EQ(progress_then.at("left"), 2) << then.body;
  EXPECT_EQ(progress_then.at("spent"), "1") << then.body;

  expect_ledger_equals_confirmed(dir.path() / "data", server.port());
  server.terminate();
  expect_verifies(dir.path() / "data");
  const auto dumped = run({kLogdump, "--data-dir", (dir.path() / "data").string(), "--as-of",
                           std::to_string(second_start), "--order", id});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  EXPECT_EQ(json::parse(dumped.out).at("progress"), progress_then) << dumped.out;
  const auto every = run({kLogdump, "--data-dir", (dir.path() / "data").string(), "--as-of",
                          std::to_string(second_start)});
  ASSERT_EQ(every.exit_code, 0) << every.err;
  EXPECT_NE(every.out.find(json::serialize(progress_then)), std::string::npos) << every.out;
}

// The parent's stream carries each slice's steps in seq order, and ends
// with the parent's completion, not with a slice's.
TEST(RecurringOrders, TheParentsStreamCarriesItsSlicesStepsAndEndsWithItsCompletion) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  const std::string id = submit_orders(c, 1, recurring_body("2", 2, 1))[0];
  const auto watched =
      run({kWatch, "--url", "ws://127.0.0.1:" + std::to_string(server.port()) + "/ws", id}, std::chrono::seconds(30));
  ASSERT_EQ(watched.exit_code, 0) << watched.out << watched.err;
  const auto seen = watched_steps(watched.out);
  const auto kids = children(c, id);
  ASSERT_EQ(kids.size(), 2u);
  for (const auto& kid : kids) {
    EXPECT_EQ(std::count(seen.begin(), seen.end(), kid + " submitted"), 1) << watched.out;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), kid + " confirmed"), 1) << watched.out;
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), id + " recurringCompleted") << watched.out;
}

// After a restart the hub has not seen a running slice start; a
// subscription to its parent still carries the slice's live steps to its end.
TEST(RecurringOrders, AfterARestartTheParentsStreamCarriesASliceStillRunning) {
  TempDir dir;
  const auto data = dir.path() / "data";
  // Realistic latencies, slowed: a slice takes about ten seconds to land.
  // The market drifts up to about 0.7% a second, so over that wait the
  // default 0.5% slippage could refuse every attempt; the slice takes 25%.
  ServerProcess server(data, {"--sim-latency-scale", "4", "--fail-rate", "0"});
  server.start();
  std::string id, child;
  {
    HttpClient c(server.port());
    id = submit_orders(c, 1, recurring_body("2", 2, 3600, R"(,"slippage":0.25)"))[0];
    ASSERT_TRUE(eventually([&] { return children(c, id).size() == 1; }, 15s));
    child = children(c, id)[0];
    ASSERT_TRUE(eventually(
        [&] {
          const auto status = status_of(c, child);
          return status != "absent" && status != "pending";
        },
        15s));
  }
  server.kill9();
  server.start(server.port());
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
  bool confirmed = false;
  std::vector<std::string> seen;
  while (!confirmed) {
    const auto m = ws.read(60s);
    ASSERT_TRUE(m) << "no confirmation of the slice on its parent's stream; seen: " << ::testing::PrintToString(seen);
    const json::value v = json::parse(*m);
    if (!v.as_object().contains("event")) continue;
    seen.push_back(std::string(v.at("orderId").as_string()) + " " + std::string(v.at("event").as_string()));
    confirmed = seen.back() == child + " confirmed";
  }
  HttpClient c(server.port());
  EXPECT_EQ(status_of(c, child), "confirmed");
}

TEST(RecurringOrders, ASliceOutsideThePriceRangeIsSkippedAndSaysWhy) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  // No SOL fetches a million USDC; every SOL fetches more than 1 USDC.
  const std::string low = submit_orders(c, 1, recurring_body("2", 2, 1, R"(,"minPrice":"1000000")"))[0];
  const std::string high = submit_orders(c, 1, recurring_body("2", 2, 1, R"(,"maxPrice":1)"))[0];
  for (const auto& id : {low, high}) {
    ASSERT_TRUE(reaches(c, id, "completed", 30s)) << order_object(c, id);
    const json::object parent = order_object(c, id);
    EXPECT_EQ(parent.at("progress").at("skipped"), 2) << parent;
    EXPECT_EQ(parent.at("progress").at("done"), 0);
    EXPECT_EQ(parent.at("progress").at("spent"), "0");
    EXPECT_TRUE(parent.at("progress").at("averagePrice").is_null());
    EXPECT_TRUE(parent.at("children").as_array().empty());
  }
  const auto skip_reasons = [&](const std::string& id) {
    std::vector<std::string> reasons;
    for (const auto& e : order_events(c, id)) {
      if (e.at("event") == "sliceSkipped") reasons.emplace_back(e.at("reason").as_string());
    }
    return reasons;
  };
  EXPECT_EQ(skip_reasons(low), (std::vector<std::string>(2, "price below minPrice")));
  EXPECT_EQ(skip_reasons(high), (std::vector<std::string>(2, "price above maxPrice")));
  EXPECT_EQ(order_object(c, high).at("recurring").at("maxPrice"), "1");
  server.terminate();
  expect_verifies(dir.path() / "data");
}

TEST(RecurringOrders, ACancelStopsTheSlicesLeftAndTheRestIsRefusedOrChangesNothing) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  const std::string id = submit_orders(c, 1, recurring_body("5", 5, 3600))[0];
  ASSERT_TRUE(eventually([&] { return children(c, id).size() == 1; }, 15s)) << order_object(c, id);
  ASSERT_TRUE(reaches(c, children(c, id)[0], "confirmed"));
  EXPECT_EQ(order_object(c, id).at("status"), "active");
  EXPECT_TRUE(order_object(c, id).contains("nextSliceAt"));

  const auto amend = c.request("PATCH", "/api/orders/" + id, R"({"limitPrice":"1"})");
  EXPECT_EQ(amend.status, 409) << amend.body;
  EXPECT_EQ(amend.json().at("error").at("code"), "not_amendable");

  const auto cancel = c.post_json("/api/orders/" + id + "/cancel", "{}");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.json().at("status"), "cancelled");
  EXPECT_EQ(cancel.json().at("progress").at("done"), 1);
  EXPECT_EQ(cancel.json().at("progress").at("left"), 4);
  EXPECT_EQ(c.post_json("/api/orders/" + id + "/cancel", "{}").status, 200) << "cancelled already: the same answer";
  EXPECT_EQ(count_of(event_names(c, id), "sliceStarted"), 1);
  server.terminate();
  expect_verifies(dir.path() / "data");
}

TEST(RecurringOrders, EveryBadRecurringBodyIsA400AndCreatesNothing) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient c(server.port());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {recurring_body("1", 1, 1), "invalid_slices"},
      {recurring_body("1", 1001, 1), "invalid_slices"},
      {recurring_body("1", 2, 0), "invalid_interval"},
      {R"({"type":"recurring","inputToken":"SOL","outputToken":"USDC","amount":"1","slices":2,"interval":"5"})",
       "invalid_interval"},
      {R"({"type":"recurring","inputToken":"SOL","outputToken":"USDC","amount":"1","slices":2.5,"interval":5})",
       "invalid_slices"},
      {R"({"type":"recurring","inputToken":"SOL","outputToken":"USDC","amount":"1","interval":5})", "missing_field"},
      {recurring_body("0.000000001", 2, 1), "invalid_amount"},
      {recurring_body("1", 2, 1, R"(,"minPrice":"200","maxPrice":"100")"), "conflicting_fields"},
      {recurring_body("1", 2, 1, R"(,"minPrice":"abc")"), "invalid_min_price"},
      {recurring_body("1", 2, 1, R"(,"catchUp":"yes")"), "invalid_catch_up"},
      {recurring_body("1", 2, 1, R"(,"limitPrice":"100")"), "field_not_for_type"},
      {recurring_body("1", 2, 1, R"(,"expiresAt":4102444800000)"), "field_not_for_type"},
      {R"({"inputToken":"SOL","outputToken":"USDC","amount":"1","slices":2})", "field_not_for_type"},
      {R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","limitPrice":"1","catchUp":true})",
       "field_not_for_type"},
  };
  for (const auto& [body, code] : cases) {
    const auto r = c.post_json("/api/orders/execute", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    if (r.status == 400) {
      EXPECT_EQ(r.json().at("error").at("code"), json::value(code)) << body << " -> " << r.body;
    }
  }
  const auto head = c.get("/api/events?fromSeq=1&limit=10").json();
  EXPECT_TRUE(head.at("events").as_array().empty()) << "nothing was appended: " << head;
}

// 20 slices, a second apart; the server killed twice while they run. Every
// slice has exactly one outcome (one child order, executed once, or one
// skip), no slice number repeats, and the chain holds each child's swap once.
TEST(RecurringOrders, TwentySlicesSurviveTwoKillsWithExactlyTwentyOutcomes) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  std::string id;
  {
    HttpClient c(server.port());
    id = submit_orders(c, 1, recurring_body("20", 20, 1))[0];
    ASSERT_TRUE(eventually([&] { return children(c, id).size() >= 3; }, 30s));
  }
  server.kill9();
  server.start(server.port());
  {
    HttpClient c(server.port());
    ASSERT_TRUE(eventually([&] { return children(c, id).size() >= 9; }, 60s)) << order_object(c, id);
  }
  server.kill9();
  server.start(server.port());
  HttpClient c(server.port());
  ASSERT_TRUE(reaches(c, id, "completed", 90s)) << order_object(c, id);
  const json::object parent = order_object(c, id);
  const auto& progress = parent.at("progress");
  EXPECT_EQ(progress.at("done").as_int64() + progress.at("skipped").as_int64(), 20) << parent;
  EXPECT_EQ(progress.at("left"), 0);
  const Slices s = slices_of(c, id);
  ASSERT_EQ(s.count.size(), 20u);
  for (const auto& [k, n] : s.count) EXPECT_EQ(n, 1) << "slice " << k;
  EXPECT_EQ(s.count.begin()->first, 0);
  EXPECT_EQ(s.count.rbegin()->first, 19);
  const auto kids = children(c, id);
  EXPECT_EQ(kids.size(), s.child.size());
  EXPECT_EQ(std::set<std::string>(kids.begin(), kids.end()).size(), kids.size());
  expect_each_child_once(c, id, s);
  expect_ledger_equals_confirmed(data, server.port());
  server.terminate();
  expect_verifies(data);
}

// Down for about three intervals: without catchUp the slice due meanwhile
// runs once at restart and the schedule moves on from there; with it, each
// slice that fell due runs at restart, on its own due time.
TEST(RecurringOrders, ASliceDueWhileDownRunsOnceAtRestartUnlessTheOrderCatchesUp) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  std::string plain, catching;
  {
    HttpClient c(server.port());
    plain = submit_orders(c, 1, recurring_body("6", 6, 1))[0];
    catching = submit_orders(c, 1, recurring_body("6", 6, 1, R"(,"catchUp":true)"))[0];
    ASSERT_TRUE(eventually([&] { return children(c, plain).size() >= 1 && children(c, catching).size() >= 1; }, 15s));
  }
  server.kill9();
  const auto killed = now_ms();
  // The outage itself, what the test is about (no wait for an event): the
  // server stays down for three intervals and a half.
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(killed + 3500)));
  server.start(server.port());
  HttpClient c(server.port());
  ASSERT_TRUE(reaches(c, plain, "completed", 30s)) << order_object(c, plain);
  ASSERT_TRUE(reaches(c, catching, "completed", 30s)) << order_object(c, catching);

  const Slices p = slices_of(c, plain);
  ASSERT_EQ(p.due.size(), 6u);
  // The first slice due after the kill ran at restart, and each after it an
  // interval later: none ran twice to make up for the outage.
  std::int64_t first_after = -1;
  for (const auto& [k, due] : p.due) {
    if (due > killed && first_after < 0) first_after = k;
  }
  ASSERT_GE(first_after, 1);
  // Moved to the restart (the outage was 3.5 s; on the old schedule it was
  // due within a second of the kill).
  EXPECT_GE(p.due.at(first_after), killed + 3000) << "moved to the restart";
  EXPECT_LE(p.due.at(first_after), now_ms());
  for (std::int64_t k = first_after + 1; k < 6; ++k) EXPECT_EQ(p.due.at(k) - p.due.at(k - 1), 1000) << k;

  const Slices q = slices_of(c, catching);
  ASSERT_EQ(q.due.size(), 6u);
  for (std::int64_t k = 1; k < 6; ++k) EXPECT_EQ(q.due.at(k) - q.due.at(k - 1), 1000) << "catching up keeps the schedule";
  expect_each_child_once(c, plain, p);
  expect_each_child_once(c, catching, q);
  server.terminate();
  expect_verifies(data);
}

}  // namespace
}  // namespace oee::e2e
