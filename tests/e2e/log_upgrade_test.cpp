// A log of the first format (per-event snapshots and order index, an active
// set), made by the oee-server of that format and killed -9
// (tests/fixtures/make_log_v1.sh), opens in today's server: converted in
// place on the first start, every order, event, dead letter and API key
// reads as that server answered before the kill, its open orders are still
// open (or expire, once their default day has passed), and the audit
// passes.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <rocksdb/db.h>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kFixture = fs::path(OEE_FIXTURES_DIR) / "log-v1.tar.gz";

json::object read_json(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

std::map<std::string, std::string> bearer(const json::object& expected, const char* which) {
  return {{"Authorization", "Bearer " + std::string(expected.at(which).as_string())}};
}

// What an order read must be: a finished order exactly as recorded; one that
// waited, as recorded or expired since, with the recorded events first.
void expect_order_as_recorded(HttpClient& client, const std::map<std::string, std::string>& auth,
                              const std::string& id, const json::object& recorded) {
  const auto order = client.request("GET", "/api/orders/" + id, {}, auth);
  ASSERT_EQ(order.status, 200) << id << " " << order.body;
  const auto events = client.request("GET", "/api/orders/" + id + "/events", {}, auth);
  ASSERT_EQ(events.status, 200) << id << " " << events.body;
  const auto& was = recorded.at("order").as_object();
  const std::string status(was.at("status").as_string());
  if (status != "open" && status != "watching") {
    EXPECT_EQ(order.json(), recorded.at("order")) << id;
    EXPECT_EQ(events.json(), recorded.at("events")) << id;
    return;
  }
  const auto order_now = order.json();
  const auto events_now = events.json();
  const std::string now(order_now.at("status").as_string());
  const auto& was_events = recorded.at("events").at("events").as_array();
  const auto& now_events = events_now.at("events").as_array();
  if (now == status) {
    EXPECT_EQ(now_events, was_events) << id;
    return;
  }
  EXPECT_EQ(now, "expired") << id;
  ASSERT_EQ(now_events.size(), was_events.size() + 1) << id;
  for (std::size_t i = 0; i < was_events.size(); ++i) EXPECT_EQ(now_events[i], was_events[i]) << id << " #" << i;
}

TEST(LogUpgrade, FirstFormatLogOpensConvertedWithEveryOrderAsBefore) {
  TempDir dir;
  const auto unpacked = run({"/usr/bin/tar", "-xzf", kFixture.string(), "-C", dir.path().string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  const auto expected = read_json(dir.path() / "expected.json");
  const fs::path data = dir.path() / "data";

  // Tools read only the current format, and say what to do.
  const auto refused = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("start oee-server on it once"), std::string::npos) << refused.err;

  const std::string admin(expected.at("adminKey").as_string());
  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0", "--sim-launch-every", "0", "--admin-key", admin});
  server.start();
  {
    HttpClient client(server.port());
    const auto bot = bearer(expected, "botKey");
    const auto& orders = expected.at("orders").as_object();
    ASSERT_EQ(orders.size(), 39u);
    for (const auto& [id, recorded] : orders) {
      expect_order_as_recorded(client, bot, std::string(id), recorded.as_object());
    }
    const auto admin_auth = bearer(expected, "adminKey");
    const auto dead = client.request("GET", "/api/dlq", {}, admin_auth);
    ASSERT_EQ(dead.status, 200);
    EXPECT_EQ(dead.json(), expected.at("deadLetters"));
    EXPECT_EQ(dead.json().at("count").as_int64(), 1);

    // The key that made the orders still works (it just did), and the one
    // revoked is still revoked; when a key was last used is not kept.
    const auto keys = client.request("GET", "/api/keys", {}, admin_auth);
    ASSERT_EQ(keys.status, 200);
    auto strip_use = [](json::value v) {
      for (auto& k : v.as_object().at("keys").as_array()) k.as_object().erase("lastUsedAt");
      return v;
    };
    EXPECT_EQ(strip_use(keys.json()), strip_use(expected.at("keys")));

    // Still-open limit orders are still in the book.
    const auto book = client.request("GET", "/api/book/SOL/USDC", {}, admin_auth);
    ASSERT_EQ(book.status, 200);
    const auto open_left = book.json().at("orders").as_int64();
    EXPECT_TRUE(open_left == 0 || book.json() == expected.at("book")) << book.body;

    // New orders go on from the old log's seqs.
    auto submit_headers = bot;
    submit_headers.emplace("Content-Type", "application/json");
    const auto submitted = client.request("POST", "/api/orders/execute",
                                          R"({"inputToken":"SOL","outputToken":"USDC","amount":2})", submit_headers);
    ASSERT_EQ(submitted.status, 202) << submitted.body;
    const std::string id(submitted.json().at("orderId").as_string());
    EXPECT_TRUE(eventually(
        [&] {
          const auto r = client.request("GET", "/api/orders/" + id, {}, bot);
          return r.status == 200 && r.json().at("status") == "confirmed";
        },
        10s));
  }
  ASSERT_EQ(server.terminate(), 0) << server.stderr_tail();

  const auto audit = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  // The first format's families are gone.
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, (data / "log").string(), &families).ok());
  for (const auto& retired : {"order_index", "snapshots"}) {
    EXPECT_EQ(std::count(families.begin(), families.end(), retired), 0) << retired;
  }

  // The converted log opens as any other, with the same answers.
  server.start();
  HttpClient client(server.port());
  const auto& orders = expected.at("orders").as_object();
  for (const auto& [id, recorded] : orders) {
    expect_order_as_recorded(client, bearer(expected, "botKey"), std::string(id), recorded.as_object());
  }
}

}  // namespace
}  // namespace oee::e2e
