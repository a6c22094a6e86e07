// The dashboard and the API description as served: a browser's GET / gets
// the page, any other client the status JSON; the page's files and nothing
// else under /dashboard/; /openapi.json on the core; a gateway's page.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "stream_fleet.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kBrowser{{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};

void expect_dashboard_served(unsigned short port) {
  HttpClient client(port);
  const auto page = client.request("GET", "/", {}, kBrowser);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.at("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_NE(page.body.find("/dashboard/app.js"), std::string::npos);
  EXPECT_NE(page.headers.at("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_FALSE(page.headers.contains("Strict-Transport-Security")) << "plain HTTP promises no TLS";

  const auto status = client.request("GET", "/", {}, {{"Accept", "*/*"}});
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.json().at("service"), "oee");
  // One path, two answers by Accept, each readable by Origin: a cache must
  // key on both.
  for (const auto* answer : {&page, &status}) {
    const auto& vary = answer->headers.at("Vary");
    EXPECT_NE(vary.find("Accept"), std::string::npos) << vary;
    EXPECT_NE(vary.find("Origin"), std::string::npos) << vary;
  }

  for (const auto& [file, type] : {std::pair{"app.js", "text/javascript"}, std::pair{"style.css", "text/css"},
                                   std::pair{"stream.js", "text/javascript"}}) {
    const auto res = client.get(std::string("/dashboard/") + file);
    EXPECT_EQ(res.status, 200) << file;
    EXPECT_EQ(res.headers.at("Content-Type").rfind(type, 0), 0u) << file;
    EXPECT_EQ(res.headers.at("X-Content-Type-Options"), "nosniff");
  }
  for (const char* missing : {"/dashboard/index.html", "/dashboard/nothing.js", "/dashboard/..%2fCMakeLists.txt"}) {
    const auto res = client.get(missing);
    EXPECT_EQ(res.status, 404) << missing;
    EXPECT_TRUE(res.json().at("error").as_object().contains("code")) << missing;
  }
}

TEST(Dashboard, ABrowserGetsThePageAndItsFilesOtherClientsTheStatus) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  expect_dashboard_served(server.port());
}

TEST(Dashboard, TheApiDescriptionIsServedAndNamesEveryRoute) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const auto res = client.get("/openapi.json");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.headers.at("Content-Type").rfind("application/json", 0), 0u);
  const auto doc = res.json();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const auto& paths = doc.at("paths").as_object();
  for (const char* path : {"/api/orders/execute", "/order", "/api/orders", "/api/orders/{id}", "/api/orders/{id}/events",
                           "/api/orders/{id}/cancel", "/api/events", "/api/dlq", "/api/dlq/stats", "/api/dlq/{id}/retry",
                           "/api/quote", "/api/book/{inputToken}/{outputToken}", "/api/keys", "/api/sim/prices",
                           "/api/sim/launches", "/health", "/metrics", "/openapi.json", "/"}) {
    EXPECT_TRUE(paths.contains(path)) << path;
  }
  EXPECT_EQ(client.get("/test").status, 200);
}

// The charts' figures: every event counted in its second, every confirmed
// order in its window; an API key gets none of anyone's.
TEST(Dashboard, StatsCountEveryEventOfTheLastMinutesAndTellAKeyNothing) {
  TempDir dir;
  const auto admin = random_admin_key();
  ServerProcess server(dir.path(), {"--sim", "fast", "--admin-key", admin});
  server.start();
  HttpClient client(server.port());
  const std::map<std::string, std::string> as_admin{{"Content-Type", "application/json"},
                                                    {"Authorization", "Bearer " + admin}};
  constexpr int kOrders = 50;
  for (int i = 0; i < kOrders; ++i) {
    ASSERT_EQ(client.request("POST", "/api/orders/execute", order_body(), as_admin).status, 202);
  }
  auto totals = [&] {
    std::map<std::string, std::uint64_t> sum;
    const auto stats = client.request("GET", "/api/stats", {}, as_admin).json();
    for (const auto& row : stats.at("throughput").as_array()) {
      for (const auto& [status, n] : row.as_object()) {
        if (status != "t") sum[std::string(status)] += n.to_number<std::uint64_t>();
      }
    }
    for (const auto& w : stats.at("latency").as_array()) {
      sum["latency windows"] += w.at("confirmed").to_number<std::uint64_t>();
      EXPECT_LE(w.at("p50").to_number<double>(), w.at("p99").to_number<double>());
      EXPECT_GT(w.at("p50").to_number<double>(), 0);
    }
    return sum;
  };
  ASSERT_TRUE(eventually([&] { return totals()["latency windows"] == kOrders; }, 20s));
  auto sum = totals();
  EXPECT_EQ(sum["pending"], kOrders);
  EXPECT_EQ(sum["confirmed"], kOrders);
  EXPECT_EQ(sum["routing"], kOrders);

  const auto key = client.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read"]})", as_admin).json();
  const auto mine = client.request("GET", "/api/stats", {},
                                   {{"Authorization", "Bearer " + std::string(key.at("key").as_string())}});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.json().at("scope"), "own");
  EXPECT_TRUE(mine.json().at("throughput").as_array().empty());
  EXPECT_TRUE(mine.json().at("latency").as_array().empty());
}

TEST(Dashboard, AGatewayServesThePageForItsStreams) {
  StreamFleet fleet(1, {"--sim", "fast"});
  expect_dashboard_served(fleet.gateway[0]->port());
}

}  // namespace
}  // namespace oee::e2e
