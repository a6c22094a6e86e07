// A log of the first format (per-event snapshots and order index, an active
// set), made by the oee-server of that format and killed -9
// (tests/fixtures/make_log_v1.sh), opens in today's server: converted in
// place on the first start, every order, event, dead letter and API key
// reads as that server answered before the kill, its open orders are still
// open until their expiry (the fixture's default day, 2026-11-25) and
// expire after it, and the audit passes.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <pqxx/pqxx>
#include <rocksdb/db.h>

#include "harness.h"
#include "pg_server.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kFixture = fs::path(OEE_FIXTURES_DIR) / "log-v1.tar.gz";
// A log from before routedAndSent: each step of an order its own record
// (tests/fixtures/make_log_v2.sh).
const fs::path kStepsFixture = fs::path(OEE_FIXTURES_DIR) / "log-v2.tar.gz";

json::object read_json(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

std::map<std::string, std::string> bearer(const json::object& expected, const char* which) {
  return {{"Authorization", "Bearer " + std::string(expected.at(which).as_string())}};
}

// Whether a waiting order of the fixture must be open still (its expiry is
// more than a minute away), must have expired (its expiry has passed), or
// may be either (within that minute).
enum class Waiting { open, expired, either };
Waiting waiting_now(const json::object& recorded_order) {
  const auto expires_ms = recorded_order.at("expiresAt").to_number<std::int64_t>();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (now_ms >= expires_ms) return Waiting::expired;
  return expires_ms - now_ms > 60'000 ? Waiting::open : Waiting::either;
}

// A read without the fields answers gained after the fixture was recorded:
// every order's and outcome's `legs` (split routing). Everything recorded
// must still be there, the same.
json::value without_added_fields(json::value v) {
  if (v.is_object()) {
    json::object kept;
    for (auto& kv : v.get_object()) {
      if (kv.key() != "legs") kept[kv.key()] = without_added_fields(kv.value());
    }
    return kept;
  }
  if (v.is_array()) {
    json::array kept;
    for (auto& item : v.get_array()) kept.push_back(without_added_fields(item));
    return kept;
  }
  return v;
}

// Which fields answers gained after a fixture was recorded.
enum class Recorded { before_legs, with_legs };

// What an order read must be: a finished order exactly as recorded. One that
// waited: as recorded while its expiry is ahead (the conversion kept it
// open); expired once its expiry has passed, with the recorded events first
// (only an order the conversion kept open is parked, and so expires).
void expect_order_as_recorded(HttpClient& client, const std::map<std::string, std::string>& auth,
                              const std::string& id, const json::object& recorded,
                              Recorded fields = Recorded::before_legs) {
  const auto as_recorded = [fields](json::value v) {
    return fields == Recorded::before_legs ? without_added_fields(std::move(v)) : v;
  };
  const auto& was = recorded.at("order").as_object();
  const std::string status(was.at("status").as_string());
  const bool waited = status == "open" || status == "watching";
  const Waiting expected = waited ? waiting_now(was) : Waiting::either;
  HttpResponse order, events;
  const auto read = [&] {
    order = client.request("GET", "/api/orders/" + id, {}, auth);
    events = client.request("GET", "/api/orders/" + id + "/events", {}, auth);
    return order.status == 200 && events.status == 200;
  };
  // An order past its expiry expires once the executor has parked it,
  // shortly after the start.
  if (expected == Waiting::expired) {
    eventually([&] { return read() && order.json().at("status") == "expired"; }, std::chrono::seconds(10));
  } else {
    read();
  }
  ASSERT_EQ(order.status, 200) << id << " " << order.body;
  ASSERT_EQ(events.status, 200) << id << " " << events.body;
  if (!waited) {
    EXPECT_EQ(as_recorded(order.json()), recorded.at("order")) << id;
    EXPECT_EQ(as_recorded(events.json()), recorded.at("events")) << id;
    return;
  }
  const auto order_now = as_recorded(order.json());
  const auto events_now = as_recorded(events.json());
  const std::string now(order_now.at("status").as_string());
  const auto& was_events = recorded.at("events").at("events").as_array();
  const auto& now_events = events_now.at("events").as_array();
  if (expected == Waiting::open || (expected == Waiting::either && now == status)) {
    EXPECT_EQ(now, status) << id;
    EXPECT_EQ(now_events, was_events) << id;
    return;
  }
  EXPECT_EQ(now, "expired") << id;
  ASSERT_EQ(now_events.size(), was_events.size() + 1) << id;
  for (std::size_t i = 0; i < was_events.size(); ++i) EXPECT_EQ(now_events[i], was_events[i]) << id << " #" << i;
}

// Submits a market order of 2 SOL on the upgraded log and waits for it to
// be confirmed; its id.
std::string submit_confirmed(HttpClient& client, const std::map<std::string, std::string>& auth) {
  auto headers = auth;
  headers.emplace("Content-Type", "application/json");
  const auto submitted = client.request("POST", "/api/orders/execute",
                                        R"({"inputToken":"SOL","outputToken":"USDC","amount":2})", headers);
  EXPECT_EQ(submitted.status, 202) << submitted.body;
  if (submitted.status != 202) return {};
  const std::string id(submitted.json().at("orderId").as_string());
  EXPECT_TRUE(eventually(
      [&] {
        const auto r = client.request("GET", "/api/orders/" + id, {}, auth);
        return r.status == 200 && r.json().at("status") == "confirmed";
      },
      10s))
      << id;
  return id;
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
    EXPECT_EQ(without_added_fields(dead.json()), expected.at("deadLetters"));
    EXPECT_EQ(dead.json().at("count").as_int64(), 1);

    // The key that made the orders still works (it just did), and the one
    // revoked is still revoked; when a key was last used is not kept.
    const auto keys = client.request("GET", "/api/keys", {}, admin_auth);
    ASSERT_EQ(keys.status, 200);
    auto strip_use = [](json::value v) {
      for (auto& k : v.as_object().at("keys").as_array()) k.as_object().erase("lastUsedAt");
      return v;
    };
    // Keys made before keys recorded their maker name none: the admin key's.
    auto listed = keys.json();
    for (auto& k : listed.as_object().at("keys").as_array()) {
      EXPECT_TRUE(k.as_object().at("createdBy").is_null()) << k;
      k.as_object().erase("createdBy");
    }
    EXPECT_EQ(strip_use(listed), strip_use(expected.at("keys")));

    // The limit orders are in the book while their expiry is ahead, and
    // gone from it once it has passed.
    std::size_t must_be_open = 0, must_have_expired = 0;
    for (const auto& [id, recorded] : orders) {
      const auto& was = recorded.at("order").as_object();
      if (was.at("orderType") != "limit" || was.at("status") != "open") continue;
      const auto w = waiting_now(was);
      must_be_open += w == Waiting::open;
      must_have_expired += w == Waiting::expired;
    }
    const auto book = client.request("GET", "/api/book/SOL/USDC", {}, admin_auth);
    ASSERT_EQ(book.status, 200);
    if (must_be_open == expected.at("book").at("orders").to_number<std::size_t>()) {
      EXPECT_EQ(book.json(), expected.at("book"));
    } else if (must_have_expired == expected.at("book").at("orders").to_number<std::size_t>()) {
      EXPECT_EQ(book.json().at("orders").as_int64(), 0) << book.body;
    }

    // New orders go on from the old log's seqs.
    EXPECT_FALSE(submit_confirmed(client, bot).empty());
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

// A log written one record per step (routingStarted, routed, txSubmitted)
// reads as it did, from the log, PostgreSQL and log-dump alike, and goes
// on with routedAndSent records: a market order in three.
TEST(LogUpgrade, ALogWrittenStepByStepReadsAsBeforeAndGoesOnInFewerRecords) {
  TempDir dir;
  const auto unpacked = run({"/usr/bin/tar", "-xzf", kStepsFixture.string(), "-C", dir.path().string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  const auto expected = read_json(dir.path() / "expected.json");
  const fs::path data = dir.path() / "data";
  const auto old_head = expected.at("head").to_number<std::uint64_t>();
  const auto verified = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  testing::PgServer pg;
  const std::string admin(expected.at("adminKey").as_string());
  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0", "--sim-launch-every", "0", "--admin-key", admin,
                              "--database-url", pg.url()});
  server.start();
  HttpClient client(server.port());
  const auto auth = bearer(expected, "adminKey");
  const auto& orders = expected.at("orders").as_object();
  ASSERT_EQ(orders.size(), 28u);
  // Every order and its events as that server answered, to the byte once
  // parsed (legs included); the open limit order may have expired since.
  for (const auto& [order, recorded] : orders) {
    expect_order_as_recorded(client, auth, std::string(order), recorded.as_object(), Recorded::with_legs);
  }

  // A new order: its five statuses in order from three records, the
  // middle one's three messages with one seq.
  const std::string id = submit_confirmed(client, auth);
  ASSERT_FALSE(id.empty());
  const json::value events = client.request("GET", "/api/orders/" + id + "/events", {}, auth).json();
  std::vector<std::string> steps;
  std::vector<std::uint64_t> seqs;
  for (const auto& e : events.at("events").as_array()) {
    steps.emplace_back(e.at("event").as_string());
    seqs.push_back(e.at("seq").to_number<std::uint64_t>());
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"submitted", "routingStarted", "routed", "txSubmitted", "confirmed"}));
  ASSERT_EQ(seqs.size(), 5u);
  EXPECT_GT(seqs[0], old_head);
  EXPECT_EQ(seqs[1], seqs[0] + 1);
  EXPECT_EQ(seqs[2], seqs[1]);
  EXPECT_EQ(seqs[3], seqs[1]);
  EXPECT_EQ(seqs[4], seqs[1] + 1);

  // PostgreSQL holds a row per record of both kinds, and the history list
  // each order as the log has it.
  std::set<std::uint64_t> records;
  const json::value all = client.request("GET", "/api/events?fromSeq=1&limit=1000", {}, auth).json();
  for (const auto& e : all.at("events").as_array()) records.insert(e.at("seq").to_number<std::uint64_t>());
  EXPECT_GT(records.size(), orders.size() * 3);
  std::size_t rows = 0;
  EXPECT_TRUE(eventually(
      [&] {
        try {
          pqxx::connection c(pg.url());
          pqxx::nontransaction tx(c);
          rows = tx.exec("SELECT count(*) FROM order_events")[0][0].as<std::size_t>();
        } catch (const pqxx::sql_error&) {
          return false;  // its tables are not made yet
        }
        return rows == records.size();
      },
      20s))
      << rows << " rows for " << records.size() << " records";
  const json::value listed = client.request("GET", "/api/orders?limit=500", {}, auth).json();
  std::map<std::string, std::string> statuses;
  for (const auto& o : listed.at("orders").as_array()) {
    statuses[std::string(o.at("orderId").as_string())] = std::string(o.at("status").as_string());
  }
  for (const auto& [order, recorded] : orders) {
    if (recorded.at("order").at("status") == "open") continue;  // may have expired since it was recorded
    EXPECT_EQ(statuses[std::string(order)], recorded.at("order").at("status").as_string()) << order;
  }
  EXPECT_EQ(statuses[id], "confirmed");
  ASSERT_EQ(server.terminate(), 0) << server.stderr_tail();

  // log-dump audits the whole log, old records and new, and shows the new
  // record as its steps' lines.
  const auto audit = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  const auto decisions = run({kLogdump, "--data-dir", data.string(), "--decisions"});
  EXPECT_EQ(decisions.exit_code, 0) << decisions.err;
  EXPECT_NE(decisions.out.find("attempt 1: sent "), std::string::npos);
  const auto dump = run({kLogdump, "--data-dir", data.string(), "--order", id, "--format", "json"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::vector<std::string> types;
  for (std::size_t at = 0, end; (end = dump.out.find('\n', at)) != std::string::npos; at = end + 1) {
    types.emplace_back(json::parse(dump.out.substr(at, end - at)).at("type").as_string());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"submitted", "routedAndSent", "routedAndSent", "routedAndSent",
                                             "confirmed"}));
}

}  // namespace
}  // namespace oee::e2e
