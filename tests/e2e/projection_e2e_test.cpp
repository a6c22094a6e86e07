// The PostgreSQL projection through real processes: history queries on the
// server, and the standalone projector surviving kill -9.

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <random>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include "harness.h"
#include "pg_server.h"
#include "redis_server.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::uint64_t head_of(HttpClient& client) {
  return client.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
}

std::uint64_t scalar(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec(sql)[0][0].as<std::uint64_t>();
}

void wait_projected(HttpClient& client) {
  ASSERT_TRUE(eventually(
      [&] {
        const auto h = client.get("/health").json();
        return h.at("executor").at("inFlight").to_number<int>() == 0 &&
               h.at("executor").at("waiting").to_number<int>() == 0 &&
               h.at("postgres").at("appliedSeq").to_number<std::uint64_t>() ==
                   h.at("log").at("head").to_number<std::uint64_t>();
      },
      30s));
}

TEST(History, FiltersAndKeysetPagination) {
  testing::PgServer pg;
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--database-url", pg.url()});
  server.start();
  HttpClient client(server.port());
  for (int i = 0; i < 30; ++i) ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(client.post_json("/api/orders/execute",
                               R"({"inputToken":"BONK","outputToken":"SOL","amount":"1000000","slippage":0.05})")
                  .status,
              202);
  }
  wait_projected(client);

  // Walk every page: each order once, newest first.
  std::set<std::string> seen;
  std::int64_t previous = std::numeric_limits<std::int64_t>::max();
  std::string cursor;
  int pages = 0;
  for (;;) {
    const auto res = client.get("/api/orders?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(res.status, 200) << res.body;
    const auto page = res.json().as_object();
    ++pages;
    for (const auto& o : page.at("orders").as_array()) {
      EXPECT_TRUE(seen.insert(std::string(o.at("orderId").as_string())).second) << "duplicate across pages";
      const auto created = o.at("createdAt").to_number<std::int64_t>();
      EXPECT_LE(created, previous);
      previous = created;
      EXPECT_EQ(o.at("status").as_string(), "confirmed");
    }
    if (page.at("nextCursor").is_null()) break;
    cursor = std::string(page.at("nextCursor").as_string());
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(pages, 8);

  EXPECT_EQ(client.get("/api/orders?inputToken=BONK&limit=500").json().at("count").to_number<int>(), 20);
  EXPECT_EQ(client.get("/api/orders?outputToken=USDC&status=confirmed&limit=500").json().at("count").to_number<int>(),
            30);
  EXPECT_EQ(client.get("/api/orders?status=failed").json().at("count").to_number<int>(), 0);
  EXPECT_EQ(client.get("/api/orders?since=2200-01-01T00:00:00Z").json().at("count").to_number<int>(), 0);
  EXPECT_EQ(client.get("/api/orders?until=2000-01-01T00:00:00Z").json().at("count").to_number<int>(), 0);
  EXPECT_EQ(client.get("/api/orders?since=946684800000&limit=500").json().at("count").to_number<int>(), 50);

  // Each row agrees with the order's own endpoint.
  const auto one = client.get("/api/orders?limit=1").json().at("orders").at(0);
  const auto direct = client.get("/api/orders/" + std::string(one.at("orderId").as_string())).json();
  for (const char* key : {"status", "txHash", "amountOut", "executedPrice", "amountIn", "dex", "seq"}) {
    EXPECT_EQ(one.at(key), direct.at(key)) << key;
  }

  struct Bad {
    std::string query;
    std::string code;
    std::string field;
  };
  for (const auto& b : std::vector<Bad>{{"cursor=garbage!", "invalid_cursor", "cursor"},
                                        {"cursor=Zm9v", "invalid_cursor", "cursor"},
                                        {"limit=0", "invalid_limit", "limit"},
                                        {"limit=501", "invalid_limit", "limit"},
                                        {"limit=ten", "invalid_limit", "limit"},
                                        {"status=done", "invalid_status", "status"},
                                        {"inputToken=DOGE", "unknown_token", "inputToken"},
                                        {"since=yesterday", "invalid_since", "since"},
                                        {"until=2026-13-01T00:00:00Z", "invalid_until", "until"},
                                        {"since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid_until",
                                         "until"},
                                        {"since=2999-01-01T00:00:00Z", "invalid_since", "since"},
                                        {"sort=asc", "unknown_parameter", "sort"}}) {
    const auto res = client.get("/api/orders?" + b.query);
    EXPECT_EQ(res.status, 400) << b.query << ": " << res.body;
    const auto err = res.json().at("error");
    EXPECT_EQ(err.at("code").as_string(), b.code) << b.query;
    EXPECT_EQ(err.at("field").as_string(), b.field) << b.query;
  }
}

TEST(History, DeadLettersComeFromPostgres) {
  testing::PgServer pg;
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "1", "--database-url", pg.url()});
  server.start();
  HttpClient client(server.port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  wait_projected(client);
  EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 3);
  const auto stats = client.get("/api/dlq/stats").json();
  EXPECT_EQ(stats.at("failed").to_number<int>(), 3);
  EXPECT_EQ(stats.at("byReason").at("transaction dropped").to_number<int>(), 3);
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM orders WHERE status = 'failed'"), 3u);

  // A dismissal is answered once the projected list shows it.
  const auto one = client.get("/api/dlq").json().at("orders").at(0).at("orderId").as_string();
  ASSERT_EQ(client.request("DELETE", "/api/dlq/" + std::string(one), "", {}).status, 200);
  EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 2);
  EXPECT_EQ(client.get("/api/dlq/stats").json().at("failed").to_number<int>(), 2);
  const auto cleared = client.request("DELETE", "/api/dlq/clear", "", {});
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.json().at("dismissed").to_number<int>(), 2);
  EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 0);
  EXPECT_EQ(client.get("/api/dlq/stats").json().at("failed").to_number<int>(), 0);
  // The history keeps every one, still failed, marked dismissed.
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM orders WHERE status = 'failed' AND dismissed"), 3u);
  const auto history = client.get("/api/orders?status=failed").json();
  ASSERT_EQ(history.at("count").to_number<int>(), 3);
  for (const auto& o : history.at("orders").as_array()) {
    EXPECT_EQ(o.at("dismissed"), true) << o;
  }
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM order_events WHERE type = 'deadLetterDismissed'"), 3u);
}

// One renderer: an order in the projected lists reads exactly as
// GET /api/orders/{id} shows it from the log, and the dead-letter list and
// its stats are the same with PostgreSQL and without.
TEST(History, ProjectedOrdersRenderExactlyAsTheLogDoes) {
  testing::PgServer pg;
  TempDir dir;
  json::object dead_letters_by_id;
  json::value stats_from_postgres;
  {
    // Half the attempts fail: confirmed orders after retries, and dead letters.
    ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0.5", "--database-url", pg.url()});
    server.start();
    HttpClient client(server.port());
    submit_orders(client, 60);
    wait_projected(client);

    const auto history = client.get("/api/orders?limit=500").json();
    ASSERT_EQ(history.at("count").to_number<int>(), 60);
    std::set<std::string> statuses;
    bool retried = false;
    for (const auto& projected : history.at("orders").as_array()) {
      const std::string id(projected.at("orderId").as_string());
      EXPECT_EQ(projected, client.get("/api/orders/" + id).json()) << id;
      statuses.insert(std::string(projected.at("status").as_string()));
      retried = retried || projected.at("attempt").to_number<int>() > 1;
    }
    EXPECT_EQ(statuses, (std::set<std::string>{"confirmed", "failed"}));
    EXPECT_TRUE(retried);

    const auto dead_letters = client.get("/api/dlq?limit=1000").json();
    for (const auto& o : dead_letters.at("orders").as_array()) {
      const std::string id(o.at("orderId").as_string());
      EXPECT_EQ(o, client.get("/api/orders/" + id).json()) << id;
      dead_letters_by_id[id] = o;
    }
    ASSERT_FALSE(dead_letters_by_id.empty()) << "half the attempts fail: some orders must be dead letters";
    ASSERT_EQ(dead_letters.at("count").to_number<std::size_t>(), dead_letters_by_id.size());
    stats_from_postgres = client.get("/api/dlq/stats").json();
    ASSERT_EQ(server.terminate(), 0);
  }
  // The same log without PostgreSQL: the lists come from the log.
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const auto dead_letters = client.get("/api/dlq?limit=1000").json();
  ASSERT_EQ(dead_letters.as_object().size(), 2u) << dead_letters;  // orders and count, as above
  ASSERT_EQ(dead_letters.at("count").to_number<std::size_t>(), dead_letters_by_id.size());
  for (const auto& o : dead_letters.at("orders").as_array()) {
    const std::string id(o.at("orderId").as_string());
    ASSERT_TRUE(dead_letters_by_id.contains(id)) << id;
    EXPECT_EQ(o, dead_letters_by_id.at(id));
  }
  EXPECT_EQ(client.get("/api/dlq/stats").json(), stats_from_postgres);
}

// With every consumer on (fan-out, Redis, PostgreSQL), each metric's
// samples stay one group, as Prometheus' parser requires.
TEST(Metrics, EveryFamilyIsOneGroupWithEveryConsumerOn) {
  testing::PgServer pg;
  testing::RedisServer redis;
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--database-url", pg.url(), "--redis-url", redis.url()});
  server.start();
  HttpClient client(server.port());
  submit_orders(client, 5);
  wait_projected(client);
  const auto metrics = client.get("/metrics").body;
  EXPECT_EQ(metric_value(metrics, "oee_redis_up"), 1);
  EXPECT_EQ(metric_value(metrics, "oee_projection_up"), 1);
  EXPECT_EQ(prometheus_format_errors(metrics), "") << metrics;
  // The checker itself finds a family whose samples are split apart.
  EXPECT_NE(prometheus_format_errors("# TYPE a counter\na 1\n# TYPE b counter\nb 1\na 2\n"), "");
}

// `make run` keeps PostgreSQL's data apart from ./data: deleting only the
// data directory must not leave the old orders standing in for the new log.
TEST(History, AProjectionOfADeletedLogIsNotServedForTheNewOne) {
  testing::PgServer pg;
  TempDir dir;
  {
    ServerProcess first(dir.path() / "first", {"--sim", "fast", "--database-url", pg.url()});
    first.start();
    HttpClient client(first.port());
    for (int i = 0; i < 10; ++i) ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
    wait_projected(client);
    ASSERT_EQ(first.terminate(), 0);
  }
  ServerProcess second(dir.path() / "second", {"--sim", "fast", "--database-url", pg.url()});
  second.start();
  HttpClient client(second.port());
  ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  ASSERT_TRUE(eventually([&] { return client.get("/health").json().at("postgres").at("failures").to_number<int>() >= 1; },
                         30s));
  const auto health = client.get("/health").json().at("postgres");
  EXPECT_EQ(health.at("status").as_string(), "down");
  EXPECT_NE(std::string(health.at("lastError").as_string()).find("another event log"), std::string::npos)
      << json::serialize(health);
  const auto list = client.get("/api/orders");
  EXPECT_EQ(list.status, 503);
  EXPECT_EQ(list.json().at("error").at("code").as_string(), "projection_of_another_log");
  EXPECT_EQ(client.get("/api/dlq").status, 503);
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM orders"), 10u) << "the old projection was changed";
}

// A history query held up past the stop's grace (its table locked): the
// stop cuts its connection; the query's answer comes only once the HTTP
// threads have stopped, and still ends the connection before the server's
// context goes (a use after free otherwise). The server exits cleanly.
TEST(History, AQueryHeldUpPastTheStopLeavesTheServerToExitCleanly) {
  testing::PgServer pg;
  TempDir dir;
  // One thread: the connection runs on the loop the listener shares.
  ServerProcess server(dir.path() / "data",
                       {"--sim", "fast", "--threads", "1", "--database-url", pg.url(), "--log-level", "info"});
  server.start();
  {
    HttpClient client(server.port());
    ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
    wait_projected(client);
  }
  pqxx::connection locker(pg.url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
  std::thread held([port = server.port()] {
    HttpClient client(port);
    try {
      (void)client.get("/api/orders");
    } catch (const std::exception&) {
      // cut at the stop: the answer never comes
    }
  });
  // Not fatal: the thread has to be joined, and the lock let go for that.
  const bool waiting = eventually(
      [&] {
        return scalar(pg.url(), "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                                "query ILIKE '%FROM orders%'") > 0;
      },
      30s);
  EXPECT_TRUE(waiting) << "the history query never waited on the lock";
  auto stopped = std::async(std::launch::async, [&server] { return server.terminate(60s); });
  const bool stopped_threads = eventually(
      [&] { return server.stdout_tail().find("the HTTP threads stopped") != std::string::npos; }, 30s);
  lock.abort();  // the query ends; its answer finds the HTTP threads gone
  EXPECT_TRUE(stopped_threads) << server.stdout_tail();
  EXPECT_NE(server.stdout_tail().find("were cut"), std::string::npos) << server.stdout_tail();
  EXPECT_EQ(stopped.get(), 0) << server.stdout_tail() << server.stderr_tail();
  EXPECT_EQ(server.stdout_tail().find("outlived"), std::string::npos) << server.stdout_tail();
  held.join();
}

TEST(Projector, KillNineOfTheProjectorProcessNeverDuplicatesOrSkips) {
  testing::PgServer pg;
  TempDir dir;
  const auto data = dir.path() / "data";
  ServerProcess server(data, {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  std::mt19937_64 rng(std::random_device{}());
  const std::vector<std::string> run_args{kProjector, "--data-dir", data.string(), "--database-url", pg.url(), "run"};

  std::uint64_t last_applied = 0;
  for (int round = 0; round < 3; ++round) {
    ChildProcess projector(run_args, dir.path().string());
    // Keep the log growing while the projector works, then kill it mid-flight.
    const int orders = std::uniform_int_distribution<int>(100, 300)(rng);
    for (int i = 0; i < orders; ++i) ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
    ASSERT_TRUE(eventually(
        [&] {
          try {
            return scalar(pg.url(), "SELECT last_seq FROM projection_state WHERE name = 'orders'") > last_applied;
          } catch (const std::exception&) {
            return false;  // schema not created yet
          }
        },
        30s))
        << projector.stderr_text();
    projector.signal(SIGKILL);
    projector.wait();
    last_applied = scalar(pg.url(), "SELECT last_seq FROM projection_state WHERE name = 'orders'");
  }
  // A last projector catches up with everything.
  ChildProcess projector(run_args, dir.path().string());
  ASSERT_TRUE(executor_idle(client, 30s));
  const std::uint64_t head = head_of(client);
  ASSERT_TRUE(eventually(
      [&] { return scalar(pg.url(), "SELECT last_seq FROM projection_state WHERE name = 'orders'") == head; }, 30s))
      << projector.stderr_text();
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM order_events"), head);
  EXPECT_EQ(scalar(pg.url(), "SELECT min(seq) FROM order_events"), 1u);
  EXPECT_EQ(scalar(pg.url(), "SELECT max(seq) FROM order_events"), head);
  const auto stats = run({kLogdump, "--data-dir", data.string(), "--stats", "--format", "json"});
  ASSERT_EQ(stats.exit_code, 0);
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM orders"),
            json::parse(stats.out).at("orders").at("total").to_number<std::uint64_t>());
  EXPECT_EQ(scalar(pg.url(), "SELECT count(*) FROM orders WHERE status = 'confirmed'"),
            json::parse(stats.out).at("orders").at("confirmed").to_number<std::uint64_t>());
  const auto status = run({kProjector, "--data-dir", data.string(), "--database-url", pg.url(), "status"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("lag 0 events"), std::string::npos) << status.out;
  // The order every CLI user types: the subcommand first, its options after.
  const auto after = run({kProjector, "status", "--data-dir", data.string(), "--database-url", pg.url()});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, status.out);
  projector.signal(SIGTERM);
  EXPECT_EQ(projector.wait(), 0);
}

}  // namespace
}  // namespace oee::e2e
