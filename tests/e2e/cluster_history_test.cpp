// Cluster mode with PostgreSQL: both nodes project every partition into one
// database, and each event lands there once, across a node's kill -9; the
// history list on either node shows every order.

#include <gtest/gtest.h>

#include <map>

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include "cluster_nodes.h"
#include "order_reads.h"
#include "pg_server.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

/// Rows of the projection: events per order id.
std::map<std::string, std::size_t> projected_events(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::map<std::string, std::size_t> out;
  for (const auto& row : tx.exec("SELECT order_id::text, count(*) FROM order_events GROUP BY 1"))
    out[row[0].as<std::string>()] = row[1].as<std::size_t>();
  return out;
}

TEST(ClusterHistory, BothNodesProjectEveryEventOnceAcrossAKill) {
  testing::PgServer pg;
  const std::vector<std::string> sim{"--sim", "realistic", "--sim-latency-scale", "0.2", "--fail-rate", "0",
                                     "--database-url", pg.url()};
  TwoNodes nodes(sim);
  auto [nats, a, b] = nodes.parts();
  HttpClient client_b(b.port());
  auto ids = submit(a.port(), 15);
  const auto more = submit(b.port(), 15);
  ids.insert(ids.end(), more.begin(), more.end());
  // Killed while both project and orders are mid-flight: b carries on.
  a.kill9();
  ASSERT_TRUE(all_finish(client_b, ids, 60s)) << b.stdout_tail();
  expect_finished_once(client_b, ids);

  std::map<std::string, std::size_t> in_log;
  for (const auto& id : ids) in_log[id] = record_count(client_b, id);  // a row per record
  std::map<std::string, std::size_t> in_pg;
  EXPECT_TRUE(eventually(
      [&] {
        in_pg = projected_events(pg.url());
        return in_pg == in_log;
      },
      30s))
      << "PostgreSQL holds " << in_pg.size() << " orders' events, the log " << in_log.size();

  // The history list (PostgreSQL) on the surviving node shows them all.
  const auto listed = client_b.get("/api/orders?limit=500");
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::size_t confirmed = 0;
  const boost::json::value page = listed.json();
  for (const auto& o : page.at("orders").as_array()) confirmed += o.at("status").as_string() == "confirmed";
  EXPECT_EQ(confirmed, ids.size());

  // One row per partition says how far it is, all of this cluster's.
  pqxx::connection c(pg.url());
  pqxx::nontransaction tx(c);
  const auto rows = tx.exec("SELECT count(*), count(DISTINCT log_id) FROM projection_state WHERE name LIKE 'orders.p%'");
  EXPECT_EQ(rows[0][0].as<int>(), static_cast<int>(kPartitions));
  EXPECT_EQ(rows[0][1].as<int>(), 1);

  // Rebuilt from the cluster, the tables hold the same events.
  const auto rebuilt = run({kProjector, "rebuild", "--nats", nats.tools_urls(), "--database-url", pg.url()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_NE(rebuilt.out.find("swapped in atomically"), std::string::npos) << rebuilt.out;
  EXPECT_EQ(projected_events(pg.url()), in_log);
  const auto status = run({kProjector, "status", "--nats", nats.tools_urls(), "--database-url", pg.url()});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("applied seq"), std::string::npos) << status.out;

  // The embedded log's projector leaves a cluster's tables alone.
  TempDir other;
  ServerProcess embedded(other.path() / "data", {"--sim", "fast", "--database-url", pg.url()});
  embedded.start();
  HttpClient client_e(embedded.port());
  EXPECT_TRUE(eventually(
      [&] {
        const auto h = client_e.get("/health").json();
        const auto* error = h.at("postgres").as_object().if_contains("lastError");
        return error != nullptr && error->as_string().find("another event log") != std::string::npos;
      },
      10s))
      << client_e.get("/health").body;
}

TEST(ClusterHistory, ProjectorToolsNeedAClusterThatHoldsALog) {
  testing::NatsCluster nats;
  testing::PgServer pg;
  const auto refused = run({kProjector, "status", "--nats", nats.tools_urls(), "--database-url", pg.url()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("holds no oee log yet"), std::string::npos) << refused.err;
  const auto bad = run({kProjector, "status", "--nats", "http://x", "--database-url", pg.url()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("http://x"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace oee::e2e
