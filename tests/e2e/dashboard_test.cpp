// The dashboard and the API description as served: a browser's GET / gets
// the page, any other client the status JSON; the page's files and nothing
// else under /dashboard/; /openapi.json on the core; a gateway's page.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "redis_server.h"

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

  const auto status = client.request("GET", "/", {}, {{"Accept", "*/*"}});
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.json().at("service"), "oee");

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

TEST(Dashboard, AGatewayServesThePageForItsStreams) {
  oee::testing::RedisServer redis;
  TempDir dir;
  ServerProcess core(dir.path() / "core", {"--sim", "fast", "--redis-url", redis.url()});
  core.start();
  ServerProcess gateway(dir.path() / "gw", {"--role", "gateway", "--core-url",
                                            "http://127.0.0.1:" + std::to_string(core.port()), "--redis-url", redis.url()});
  gateway.start();
  expect_dashboard_served(gateway.port());
}

}  // namespace
}  // namespace oee::e2e
