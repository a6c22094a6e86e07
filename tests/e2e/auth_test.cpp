// Access control with the real process: the admin key, API keys created,
// used, revoked and expired through the API, each key's orders its own on
// every path (REST, WebSocket, a gateway), and a key's secret nowhere but
// in the answer that created it.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include "api/auth/key_secret.h"
#include "core/wire/key_message.h"
#include "harness.h"
#include "order_reads.h"  // now_ms
#include "pg_server.h"
#include "redis_server.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

Headers bearer(const std::string& key) {
  return {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}};
}

struct ApiKey {
  std::string id;
  std::string secret;
};

// POST /api/keys as the admin; the new key's id and secret.
ApiKey create_key(HttpClient& client, const std::string& admin, const std::string& scopes,
                  const std::string& extra = "") {
  const auto res = client.request("POST", "/api/keys",
                                  R"({"name":"test","scopes":)" + scopes + extra + "}", bearer(admin));
  EXPECT_EQ(res.status, 201) << res.body;
  if (res.status != 201) return {};
  const auto body = res.json();
  return {std::string(body.at("id").as_string()), std::string(body.at("key").as_string())};
}

const std::string kReadWrite = R"(["orders:read","orders:write"])";

std::string submit(HttpClient& client, const std::string& key, const Headers& more = {}) {
  Headers h = bearer(key);
  h.insert(more.begin(), more.end());
  const auto res = client.request("POST", "/api/orders/execute", order_body(), h);
  const bool accepted = res.status == 202 || (res.status == 200 && more.count("Idempotency-Key") > 0);  // 200: a replay
  EXPECT_TRUE(accepted) << res.status << " " << res.body;
  return accepted ? std::string(res.json().at("orderId").as_string()) : std::string();
}

// An upgrade request by hand, to read the status a refused one gets.
int upgrade_status(unsigned short port, const std::string& target, const std::string& authorization = {}) {
  RawConnection c(port);
  c.send("GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") + "\r\n");
  c.read_until("\r\n\r\n", 5s);
  const auto statuses = response_statuses(c.received());
  return statuses.empty() ? 0 : statuses.front();
}

// The next message whose `field` is `value`, or null. (A read that times
// out ends the connection, so each waits for what is left of the time.)
json::value next_where(WsClient& ws, const std::string& field, const std::string& value,
                       std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return nullptr;
    const auto text = ws.read(left);
    if (!text) return nullptr;
    auto v = json::parse(*text);
    const auto* found = v.is_object() ? v.as_object().if_contains(field) : nullptr;
    if (found != nullptr && *found == value.c_str()) return v;
  }
}

// Waits until the server closes `ws`, reading what comes before; its close
// code, or 0.
int closed_with(WsClient& ws, std::chrono::milliseconds timeout = 10s) {
  next_where(ws, "type", "a type no message has", timeout);
  return ws.close_code();
}

// A core with authentication on (and `extra` flags), and a client for it.
struct SecuredServer {
  explicit SecuredServer(const std::vector<std::string>& extra = {})
      : server(dir.path(), with_admin_key(admin, extra)), client(started(server)) {}
  static std::vector<std::string> with_admin_key(const std::string& key, std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--admin-key", key});
    return extra;
  }
  static unsigned short started(ServerProcess& s) {
    s.start();
    return s.port();
  }
  TempDir dir;
  std::string admin = random_admin_key();
  ServerProcess server;
  HttpClient client;
};

TEST(Auth, OffOnLoopbackWorksAsBeforeAndANetworkAddressNeedsAKeyOrAnExplicitOff) {
  TempDir dir;
  {
    ServerProcess open(dir.path() / "open", {"--sim", "fast"});
    open.start();
    HttpClient client(open.port());
    const auto id = submit_orders(client, 1).front();
    EXPECT_EQ(client.get("/api/orders/" + id).status, 200);
    EXPECT_EQ(client.get("/api/dlq").status, 200);
    EXPECT_EQ(client.get("/health").json().at("auth").at("status"), "off");
    const auto refused = client.post_json("/api/keys", R"({"name":"x","scopes":["orders:read"]})");
    EXPECT_EQ(refused.status, 409) << "a key made while anyone may do anything would be anyone's";
  }

  const auto refused = run({kServer, "--data-dir", (dir.path() / "net").string(), "--bind", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--admin-key"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "net")) << "a refused start touches nothing";

  // Guessable keys, each long enough by length alone, refuse to start.
  for (const std::string& guessable : {std::string(40, 'a'), std::string("abcdefghijklmnopqrstuvwxyz012345"),
                                      std::string("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")}) {
    const auto weak = run({kServer, "--data-dir", (dir.path() / "weak").string(), "--admin-key", guessable});
    EXPECT_EQ(weak.exit_code, 2) << guessable << ": " << weak.err;
    EXPECT_NE(weak.err.find("--admin-key"), std::string::npos) << weak.err;
    EXPECT_NE(weak.err.find("openssl rand -hex 32"), std::string::npos) << "says how to make one: " << weak.err;
  }
  const auto weak_token = run({kServer, "--data-dir", (dir.path() / "weak").string(), "--admin-key",
                               random_admin_key(), "--metrics-token", "abcdefghijklmnopqrstuvwxyz012345"});
  EXPECT_EQ(weak_token.exit_code, 2) << weak_token.err;
  EXPECT_NE(weak_token.err.find("--metrics-token"), std::string::npos) << weak_token.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "weak")) << "a refused start touches nothing";

  // The admin key from a file, out of sight of ps.
  const auto missing = run({kServer, "--data-dir", (dir.path() / "weak").string(), "--admin-key-file",
                            (dir.path() / "no-such-file").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--admin-key-file"), std::string::npos) << missing.err;
  {
    const std::string admin = random_admin_key();
    const auto key_file = dir.path() / "admin.key";
    std::ofstream(key_file) << "  " << admin << "\n";
    ServerProcess keyed(dir.path() / "keyed", {"--admin-key-file", key_file.string()});
    keyed.start();
    HttpClient client(keyed.port());
    EXPECT_EQ(client.get("/api/keys").status, 401);
    EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(admin)).status, 200);
    std::ifstream proc("/proc/" + std::to_string(keyed.pid()) + "/cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(proc)), std::istreambuf_iterator<char>());
    ASSERT_NE(cmdline.find("--admin-key-file"), std::string::npos) << "read the server's own command line";
    EXPECT_EQ(cmdline.find(admin), std::string::npos) << "the key is not on the command line";
  }

  ServerProcess off(dir.path() / "off", {"--bind", "0.0.0.0", "--auth", "off"});
  off.start();
  HttpClient client(off.port());
  const auto health = client.get("/health").json();
  EXPECT_EQ(health.at("auth").at("status"), "off");
  EXPECT_TRUE(health.at("auth").as_object().contains("warning")) << json::serialize(health);
  EXPECT_EQ(off.terminate(), 0);
  EXPECT_NE(off.stdout_tail().find("authentication is off"), std::string::npos) << off.stdout_tail();
}

TEST(Auth, NoKeyIs401AndAKeyWithoutTheScopeIs403) {
  const std::string scraper = random_admin_key();
  SecuredServer secured({"--sim", "fast", "--metrics-token", scraper});
  auto& [dir, admin, server, client] = secured;
  const auto reader = create_key(client, admin, R"(["orders:read"])");
  const auto writer = create_key(client, admin, R"(["orders:write"])");

  const auto none = client.post_json("/api/orders/execute", order_body());
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.at("WWW-Authenticate").rfind("Bearer", 0), 0u) << none.headers.at("WWW-Authenticate");
  EXPECT_EQ(none.json().at("error").at("code"), "unauthenticated");
  for (const std::string& wrong : {std::string("Basic dXNlcjpwYXNz"), std::string("Bearer oee_") + std::string(64, '0'),
                                   "Bearer " + admin + "x"}) {
    const auto res = client.request("POST", "/api/orders/execute", order_body(),
                                    {{"Content-Type", "application/json"}, {"Authorization", wrong}});
    EXPECT_EQ(res.status, 401) << wrong;
  }
  EXPECT_EQ(client.get("/health").status, 200) << "liveness needs no key";
  // ... and shows status words to anyone but the admin key.
  for (const auto& [who, headers] : std::vector<std::pair<std::string, Headers>>{
           {"no key", {}}, {"an API key", bearer(reader.secret)}, {"the scraper", bearer(scraper)}}) {
    const auto health = client.request("GET", "/health", {}, headers).json().as_object();
    EXPECT_EQ(health.at("status").as_string(), "ok") << who;
    EXPECT_EQ(health.at("log").at("durability").as_string(), "sync") << who;
    EXPECT_FALSE(health.at("log").as_object().contains("head")) << who;
    EXPECT_FALSE(health.contains("executor")) << who;
    EXPECT_FALSE(health.contains("websocketClients")) << who;
    EXPECT_EQ(health.at("postgres").as_object().size(), 1u) << who << ": its status only";
  }
  const auto full = client.request("GET", "/health", {}, bearer(admin)).json().as_object();
  EXPECT_TRUE(full.at("log").as_object().contains("head"));
  EXPECT_TRUE(full.contains("executor"));
  // A wrong key there is a failed authentication like anywhere: /health is
  // no free oracle for guessing the admin key.
  const std::string unknown = R"(oee_auth_failures_total{reason="unknown"})";
  const auto failures = [&] { return metric_value(client.request("GET", "/metrics", {}, bearer(admin)).body, unknown); };
  const double before = failures();
  const auto guessed = client.request("GET", "/health", {}, bearer(admin + "0"));
  EXPECT_EQ(guessed.status, 200);
  EXPECT_FALSE(guessed.json().at("log").as_object().contains("head"));
  EXPECT_EQ(failures(), before + 1);
  EXPECT_EQ(client.get("/metrics").status, 401);
  // Global figures are not an API key's, whatever its scopes.
  for (const auto& key : {reader, writer}) {
    const auto refused = client.request("GET", "/metrics", {}, bearer(key.secret));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(refused.body.find("--metrics-token"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(client.request("GET", "/metrics", {}, bearer(admin)).status, 200);
  EXPECT_EQ(client.request("GET", "/metrics", {}, bearer(scraper)).status, 200) << "the scraper's token";
  EXPECT_EQ(client.request("POST", "/api/orders/execute", order_body(), bearer(scraper)).status, 403)
      << "and nothing else";
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(scraper)).status, 403);

  const auto read_only = client.request("POST", "/api/orders/execute", order_body(), bearer(reader.secret));
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  EXPECT_EQ(read_only.json().at("error").at("code"), "forbidden");
  const auto id = submit(client, writer.secret);
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, bearer(writer.secret)).status, 403);
  EXPECT_EQ(client.request("POST", "/api/keys", R"({"name":"x","scopes":["orders:read"]})", bearer(writer.secret))
                .status,
            403)
      << "only keys:admin makes keys";
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(reader.secret)).status, 403);

  EXPECT_EQ(upgrade_status(server.port(), "/ws"), 401);
  EXPECT_EQ(upgrade_status(server.port(), "/ws?access_token=" + writer.secret), 403);
  EXPECT_EQ(upgrade_status(server.port(), "/ws?access_token=" + reader.secret), 101);
  EXPECT_EQ(upgrade_status(server.port(), "/ws", "Bearer " + reader.secret), 101);
}

TEST(Auth, AKeySeesOnlyItsOwnOrdersAndItsOwnIdempotencyKeys) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto a = create_key(client, admin, kReadWrite);
  const auto b = create_key(client, admin, kReadWrite);
  const auto of_a = submit(client, a.secret);

  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a, {}, bearer(a.secret)).status, 200);
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a, {}, bearer(admin)).status, 200);
  const auto hidden = client.request("GET", "/api/orders/" + of_a, {}, bearer(b.secret));
  EXPECT_EQ(hidden.status, 404) << "another key's order is absent, not forbidden";
  const auto never = client.request("GET", "/api/orders/00000000-0000-4000-8000-000000000000", {}, bearer(b.secret));
  EXPECT_EQ(hidden.json().at("error").at("code"), never.json().at("error").at("code"))
      << "the same answer as an order that never was";
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a + "/events", {}, bearer(b.secret)).status, 404);
  EXPECT_EQ(client.request("GET", "/api/orders/" + a.id, {}, bearer(admin)).status, 404) << "a key is no order";
  EXPECT_EQ(client.request("GET", "/api/orders/" + a.id + "/events", {}, bearer(admin)).status, 404);
  // As of a seq, the same: another key's order and a key's id are absent.
  const std::string at = std::to_string(
      client.request("GET", "/api/orders/" + of_a, {}, bearer(a.secret)).json().at("seq").to_number<std::uint64_t>());
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a + "?asOf=" + at, {}, bearer(a.secret)).status, 200);
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a + "?asOf=" + at, {}, bearer(b.secret)).status, 404);
  EXPECT_EQ(client.request("GET", "/api/orders/" + a.id + "?asOf=" + at, {}, bearer(admin)).status, 404)
      << "a key is no order, as of any seq";
  const auto listed_by_b = client.request("GET", "/api/orders?asOf=" + at, {}, bearer(b.secret));
  ASSERT_EQ(listed_by_b.status, 200) << listed_by_b.body;
  EXPECT_TRUE(listed_by_b.json().at("orders").as_array().empty()) << listed_by_b.body;
  const auto listed_by_a = client.request("GET", "/api/orders?asOf=" + at, {}, bearer(a.secret));
  ASSERT_EQ(listed_by_a.status, 200) << listed_by_a.body;
  EXPECT_EQ(listed_by_a.json().at("orders").as_array().size(), 1U) << listed_by_a.body;

  // keys:admin makes keys; it sees only its own orders, and may neither
  // list every key's hash nor ask on another key's behalf.
  const auto keymaster = create_key(client, admin, R"(["keys:admin","orders:read"])");
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a, {}, bearer(keymaster.secret)).status, 404);
  EXPECT_EQ(client.request("GET", "/api/dlq", {}, bearer(keymaster.secret)).json().at("count"), 0);
  EXPECT_EQ(client.request("GET", "/api/keys/events", {}, bearer(keymaster.secret)).status, 403);
  EXPECT_EQ(client.request("GET", "/api/keys/events", {}, bearer(admin)).status, 200);
  const std::string on_behalf = "/api/orders/" + of_a + "/events?asKey=" + a.id;
  EXPECT_EQ(client.request("GET", on_behalf, {}, bearer(keymaster.secret)).status, 403);
  EXPECT_EQ(client.request("GET", on_behalf, {}, bearer(a.secret)).status, 403);
  EXPECT_EQ(client.request("GET", on_behalf, {}, bearer(admin)).status, 200) << "a gateway asks as A";
  EXPECT_EQ(client.request("GET", "/api/orders/" + of_a + "/events?asKey=" + b.id, {}, bearer(admin)).status, 404);

  // Every WebSocket path: B's subscription finds nothing, A's finds it all.
  WsClient ws_b(server.port(), "/ws?access_token=" + b.secret);
  ws_b.send(R"({"type":"subscribe","orderId":")" + of_a + R"("})");
  const auto error = next_where(ws_b, "type", "error");
  ASSERT_FALSE(error.is_null());
  EXPECT_EQ(error.at("error").at("code"), "not_found") << json::serialize(error);
  WsClient path_b(server.port(), "/order/" + of_a + "?access_token=" + b.secret);
  const auto path_error = next_where(path_b, "type", "error");
  ASSERT_FALSE(path_error.is_null());
  EXPECT_EQ(path_error.at("error").at("code"), "not_found") << json::serialize(path_error);
  WsClient ws_a(server.port(), "/ws", 0, Dialect::v1, "Bearer " + a.secret);
  ws_a.send(R"({"type":"subscribe","orderId":")" + of_a + R"("})");
  EXPECT_FALSE(next_where(ws_a, "type", "subscribed").is_null());

  // Idempotency keys are each API key's own.
  const Headers same{{"Idempotency-Key", "client-42"}};
  const auto first_a = submit(client, a.secret, same);
  EXPECT_EQ(submit(client, a.secret, same), first_a);
  const auto first_b = submit(client, b.secret, same);
  EXPECT_NE(first_b, first_a);
  EXPECT_EQ(client.request("GET", "/api/orders/" + first_b, {}, bearer(a.secret)).status, 404);
}

// An API key's asOf page reads a bounded stretch of the log back (a key
// with no orders must not make each request scan the whole log): past its
// budget the page ends early, empty if need be, with a `next` that goes on
// from there; every page of the walk is the key's alone.
TEST(Auth, AnApiKeysAsOfPageReadsABoundedStretchOfTheLog) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto idle = create_key(client, admin, kReadWrite);
  const auto own = submit(client, idle.secret);  // the oldest order: found on the walk's last page
  const auto head = [&] { return client.request("GET", "/api/events", {}, bearer(admin)).json().at("head").to_number<std::uint64_t>(); };
  for (int i = 0; i < 2000; ++i) {  // three events each: past an API key's 4,096
    ASSERT_EQ(client.request("POST", "/api/orders/execute", order_body(), bearer(admin)).status, 202);
  }
  ASSERT_TRUE(eventually([&] { return head() > 5 * 1024; }, 60s)) << head();
  const std::string as_of = "/api/orders?asOf=" + std::to_string(head());
  std::string target = as_of;
  int pages = 0;
  std::vector<std::string> found;
  for (; pages < 20; ++pages) {
    const auto page = client.request("GET", target, {}, bearer(idle.secret));
    ASSERT_EQ(page.status, 200) << page.body;
    const auto body = page.json();
    for (const auto& o : body.at("orders").as_array()) found.emplace_back(o.at("orderId").as_string());
    if (body.at("next").is_null()) break;
    target = as_of + "&before=" + std::to_string(body.at("next").to_number<std::uint64_t>());
  }
  EXPECT_GE(pages, 1) << "one page scanned the whole log for a key";
  EXPECT_LT(pages, 20);
  EXPECT_EQ(found, std::vector<std::string>{own});
}

// The order list and the dead-letter list with its actions, from PostgreSQL
// and from the log alone: a key's hold its own orders, the admin's all.
// The log's end is how much the whole market trades: the admin sees it,
// an API key does not, neither in an events page nor in an asOf refusal.
TEST(Auth, AnApiKeyDoesNotSeeTheLogsEnd) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto a = create_key(client, admin, kReadWrite);
  const auto b = create_key(client, admin, kReadWrite);
  const auto of_a = submit(client, a.secret);
  const auto of_b = submit(client, b.secret);
  for (int i = 0; i < 4; ++i) submit(client, b.secret);
  ASSERT_TRUE(eventually(
      [&] {
        const auto res = client.request("GET", "/api/orders/" + of_a, {}, bearer(admin));
        return res.status == 200 && res.json().at("status") == "confirmed";
      },
      20s));

  const auto as_admin = client.request("GET", "/api/events", {}, bearer(admin));
  ASSERT_EQ(as_admin.status, 200) << as_admin.body;
  const auto head = as_admin.json().at("head").to_number<std::uint64_t>();
  EXPECT_GT(head, 6u);
  const auto as_key = client.request("GET", "/api/events", {}, bearer(a.secret));
  ASSERT_EQ(as_key.status, 200) << as_key.body;
  EXPECT_FALSE(as_key.json().as_object().contains("head")) << as_key.body;
  EXPECT_FALSE(as_key.json().at("events").as_array().empty()) << "the key's own events are listed";

  const std::string beyond = std::to_string(head + 1000);
  for (const std::string& target : {"/api/orders/" + of_a + "?asOf=" + beyond, "/api/orders?asOf=" + beyond}) {
    const auto by_key = client.request("GET", target, {}, bearer(a.secret));
    EXPECT_EQ(by_key.status, 400) << target << " " << by_key.body;
    const std::string message(by_key.json().at("error").at("message").as_string());
    EXPECT_EQ(message.find("seq"), std::string::npos) << target << ": the log's end named to a key: " << message;
    const auto by_admin = client.request("GET", target, {}, bearer(admin));
    EXPECT_EQ(by_admin.status, 400) << target << " " << by_admin.body;
    EXPECT_NE(std::string(by_admin.json().at("error").at("message").as_string()).find("seq"), std::string::npos)
        << by_admin.body;
  }
  // Another key's order and one that never was answer alike, whatever the
  // asOf: bisecting them finds nothing of the log's end.
  for (const std::string& other : {of_b, std::string("3f1c2b4a-0000-4000-8000-000000000000")}) {
    for (const std::string& as_of : {std::string("1"), std::to_string(head), beyond}) {
      const auto res = client.request("GET", "/api/orders/" + other + "?asOf=" + as_of, {}, bearer(a.secret));
      EXPECT_EQ(res.status, 404) << other << " asOf " << as_of << ": " << res.body;
    }
  }
}

TEST(Auth, AKeysListsAndDeadLettersAreItsOwn) {
  oee::testing::PgServer pg;
  for (const bool projected : {true, false}) {
    SCOPED_TRACE(projected ? "from PostgreSQL" : "from the log");
    std::vector<std::string> flags{"--sim", "fast", "--fail-rate", "1"};
    if (projected) flags.insert(flags.end(), {"--database-url", pg.url()});
    SecuredServer secured(flags);
    auto& [dir, admin, server, client] = secured;
    const auto a = create_key(client, admin, kReadWrite);
    const auto b = create_key(client, admin, kReadWrite);
    const std::set<std::string> of_a{submit(client, a.secret), submit(client, a.secret)};
    const std::string of_b = submit(client, b.secret);
    const auto count = [&](const std::string& key, const std::string& target) -> int {
      const auto res = client.request("GET", target, {}, bearer(key));
      EXPECT_EQ(res.status, 200) << target << ": " << res.body;
      return res.status == 200 ? res.json().at("count").to_number<int>() : -1;
    };
    // 503 until the projector has made its tables.
    ASSERT_TRUE(eventually(
        [&] {
          const auto res = client.request("GET", "/api/dlq", {}, bearer(admin));
          return res.status == 200 && res.json().at("count") == 3;
        },
        30s));

    const auto listed = [&](const std::string& key, const std::string& target) {
      std::set<std::string> ids;
      const auto page = client.request("GET", target, {}, bearer(key)).json();
      for (const auto& o : page.at("orders").as_array()) {
        ids.emplace(o.at("orderId").as_string());
      }
      return ids;
    };
    EXPECT_EQ(listed(a.secret, "/api/dlq"), of_a);
    EXPECT_EQ(listed(b.secret, "/api/dlq"), std::set<std::string>{of_b});
    EXPECT_EQ(listed(a.secret, "/api/dlq?limit=1").size(), 1u);
    EXPECT_EQ(client.request("GET", "/api/dlq/stats", {}, bearer(a.secret)).json().at("failed"), 2);
    if (projected) {
      EXPECT_EQ(listed(a.secret, "/api/orders"), of_a);
      EXPECT_EQ(listed(b.secret, "/api/orders?status=failed"), std::set<std::string>{of_b});
      EXPECT_EQ(count(admin, "/api/orders"), 3);
    } else {
      EXPECT_EQ(client.request("GET", "/api/orders", {}, bearer(a.secret)).status, 503) << "the list needs PostgreSQL";
    }

    // B cannot act on A's dead letters; its clear dismisses its own alone.
    const std::string one_of_a = *of_a.begin();
    EXPECT_EQ(client.request("POST", "/api/dlq/" + one_of_a + "/retry", {}, bearer(b.secret)).status, 404);
    EXPECT_EQ(client.request("DELETE", "/api/dlq/" + one_of_a, {}, bearer(b.secret)).status, 404);
    auto as_json = [&](const std::string& key) {
      auto headers = bearer(key);
      headers["Content-Type"] = "application/json";
      return headers;
    };
    EXPECT_EQ(client.request("PATCH", "/api/orders/" + one_of_a, R"({"limitPrice":"1"})", as_json(b.secret)).status, 404)
        << "another key's order is not found to amend either";
    EXPECT_EQ(client.request("PATCH", "/api/orders/" + one_of_a, R"({"limitPrice":"1"})", as_json(a.secret)).status, 409)
        << "its own: found, and a market order is not amendable";
    const auto cleared = client.request("DELETE", "/api/dlq/clear", {}, bearer(b.secret));
    ASSERT_EQ(cleared.status, 200) << cleared.body;
    EXPECT_EQ(cleared.json().at("dismissed"), 1);
    EXPECT_EQ(count(b.secret, "/api/dlq"), 0);
    EXPECT_EQ(count(a.secret, "/api/dlq"), 2) << "A's dead letters stay";
    EXPECT_EQ(client.request("DELETE", "/api/dlq/" + one_of_a, {}, bearer(a.secret)).status, 200);
    EXPECT_EQ(client.request("POST", "/api/dlq/" + one_of_a + "/retry", {}, bearer(admin)).status, 409)
        << "dismissed already: the admin finds it, and it is off the list";
  }
}

TEST(Auth, RevocationEndsTheNextRequestAndOpenWebSocketsAtOnce) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto a = create_key(client, admin, kReadWrite);
  const auto id = submit(client, a.secret);
  WsClient ws(server.port(), "/ws?access_token=" + a.secret);
  ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
  ASSERT_FALSE(next_where(ws, "type", "subscribed").is_null());

  const auto revoked = client.request("DELETE", "/api/keys/" + a.id, {}, bearer(admin));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(revoked.json().at("revokedAt").is_null());
  EXPECT_EQ(closed_with(ws), 1008) << ws.close_reason();
  EXPECT_NE(ws.close_reason().find("revoked"), std::string::npos) << ws.close_reason();
  const auto next = client.request("GET", "/api/orders/" + id, {}, bearer(a.secret));
  EXPECT_EQ(next.status, 401);
  EXPECT_NE(next.json().at("error").at("message").as_string().find("revoked"), std::string::npos) << next.body;
  EXPECT_EQ(client.request("DELETE", "/api/keys/" + a.id, {}, bearer(admin)).status, 200) << "revoking is idempotent";
  EXPECT_EQ(client.request("GET", "/api/orders/" + id + "/events?asKey=" + a.id, {}, bearer(admin)).status, 404)
      << "a gateway that has not heard of the revocation yet gets nothing for the key";

  const auto listed = client.request("GET", "/api/keys", {}, bearer(admin));
  ASSERT_EQ(listed.status, 200);
  const auto keys = listed.json();
  const auto& key = keys.at("keys").as_array().at(0);
  EXPECT_FALSE(key.at("revokedAt").is_null());
  EXPECT_FALSE(key.at("lastUsedAt").is_null()) << "it was used before its revocation";
  EXPECT_FALSE(key.as_object().contains("key")) << "a listing never shows a secret";
}

TEST(Auth, AnExpiredKeyIsRefusedAndItsWebSocketClosed) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto soon = now_ms() + 2000;
  const auto key = create_key(client, admin, kReadWrite, R"(,"expiresAt":)" + std::to_string(soon));
  const auto id = submit(client, key.secret);
  WsClient ws(server.port(), "/ws?access_token=" + key.secret);
  EXPECT_EQ(closed_with(ws, 15s), 1008);
  EXPECT_NE(ws.close_reason().find("expired"), std::string::npos) << ws.close_reason();
  const auto late = client.request("GET", "/api/orders/" + id, {}, bearer(key.secret));
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("expired"), std::string::npos) << late.body;

  const auto past = client.request("POST", "/api/keys", R"({"name":"x","scopes":["orders:read"],"expiresAt":1000})",
                                   bearer(admin));
  EXPECT_EQ(past.status, 400) << "a key that has expired already is a mistake: " << past.body;
}

// The review's case: a keys:admin key with a rate limit and an expiry
// minted one with orders:write and keys:admin, no limit and no expiry,
// which outlived it. Now what it makes is at most itself, records who made
// it, and a cascading revocation takes it down with its maker.
TEST(Auth, AKeyMakesNoKeyStrongerThanItselfAndACascadeRevokesWhatItMade) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto in_an_hour = now_ms() + 3'600'000;
  const auto manager = create_key(client, admin, R"(["keys:admin","orders:read"])",
                                  R"(,"rateLimit":{"perSecond":50,"burst":100},"expiresAt":)" +
                                      std::to_string(in_an_hour));
  const auto as_manager = bearer(manager.secret);
  const auto make = [&](const std::string& body) { return client.request("POST", "/api/keys", body, as_manager); };

  const auto stronger = make(R"({"name":"x","scopes":["orders:write","keys:admin"],"rateLimit":null})");
  EXPECT_EQ(stronger.status, 403) << stronger.body;
  EXPECT_EQ(stronger.json().at("error").at("code").as_string(), "exceeds_creator") << stronger.body;
  EXPECT_EQ(stronger.json().at("error").at("field").as_string(), "scopes") << stronger.body;
  EXPECT_EQ(make(R"({"name":"x","scopes":["orders:read"],"rateLimit":null})").status, 403);
  EXPECT_EQ(make(R"({"name":"x","scopes":["orders:read"],"expiresAt":"2099-01-01T00:00:00Z"})").status, 403);
  EXPECT_EQ(make(R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":51,"burst":100}})").status, 403);

  // What it may make takes its limit and expiry, and names its maker.
  const auto child = make(R"({"name":"reader","scopes":["orders:read","keys:admin"]})");
  ASSERT_EQ(child.status, 201) << child.body;
  const auto made = child.json().as_object();
  EXPECT_EQ(made.at("createdBy").as_string(), manager.id);
  EXPECT_EQ(made.at("rateLimit").at("perSecond").to_number<int>(), 50);
  EXPECT_EQ(made.at("rateLimit").at("burst").to_number<int>(), 100);
  EXPECT_FALSE(made.at("expiresAt").is_null());
  const std::string child_secret(made.at("key").as_string());
  // ... and a key it made makes one in turn: a grandchild.
  const auto grandchild =
      client.request("POST", "/api/keys", R"({"name":"g","scopes":["orders:read"]})", bearer(child_secret));
  ASSERT_EQ(grandchild.status, 201) << grandchild.body;
  const std::string grandchild_secret(grandchild.json().at("key").as_string());

  // The admin key is bound by nothing, and its keys name no maker.
  const auto by_admin = client.request("POST", "/api/keys", R"({"name":"any","scopes":["orders:write","keys:admin"]})",
                                       bearer(admin));
  ASSERT_EQ(by_admin.status, 201) << by_admin.body;
  EXPECT_TRUE(by_admin.json().at("createdBy").is_null());
  EXPECT_EQ(by_admin.json().at("rateLimit").at("perSecond").to_number<int>(), 100) << "the default limit";
  const auto unlimited =
      client.request("POST", "/api/keys", R"({"name":"bulk","scopes":["orders:read"],"rateLimit":null})", bearer(admin));
  ASSERT_EQ(unlimited.status, 201) << unlimited.body;
  EXPECT_TRUE(unlimited.json().at("rateLimit").is_null()) << "no limit, asked for on purpose";

  // Revoking the maker alone leaves what it made working; with cascade,
  // everything under it goes, and nothing else.
  EXPECT_EQ(client.request("DELETE", "/api/keys/" + manager.id + "?cascade=maybe", "", bearer(admin)).status, 400);
  ASSERT_EQ(client.request("DELETE", "/api/keys/" + manager.id, "", bearer(admin)).status, 200);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, as_manager).status, 401);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(child_secret)).status, 200);
  const auto cascade = client.request("DELETE", "/api/keys/" + manager.id + "?cascade=true", "", bearer(admin));
  ASSERT_EQ(cascade.status, 200) << cascade.body;
  EXPECT_EQ(cascade.json().at("revokedWithIt").as_array().size(), 2u) << cascade.body;
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(child_secret)).status, 401);
  EXPECT_EQ(client.request("GET", "/api/orders", {}, bearer(grandchild_secret)).status, 401);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(std::string(by_admin.json().at("key").as_string()))).status,
            200)
      << "a key the admin made is not under the revoked one";
}

// The second review's case: creation was bounded by the maker, revocation
// was not. A key with keys:admin revokes itself and what it made (directly
// or through keys it made), and nothing else: not the admin's keys, not a
// sibling's, not with cascade either; the admin key revokes any.
TEST(Auth, AKeysAdminKeyRevokesOnlyTheKeysMadeUnderIt) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto manager = create_key(client, admin, R"(["keys:admin","orders:read","orders:write"])");
  const auto sibling = create_key(client, admin, R"(["keys:admin","orders:read"])");
  const auto stronger = create_key(client, admin, R"(["keys:admin","orders:read","orders:write"])");
  const auto as_manager = bearer(manager.secret);
  const auto child = client.request("POST", "/api/keys", R"({"name":"c","scopes":["orders:read","keys:admin"]})",
                                    as_manager);
  ASSERT_EQ(child.status, 201) << child.body;
  const std::string child_id(child.json().at("id").as_string());
  const auto grandchild = client.request("POST", "/api/keys", R"({"name":"g","scopes":["orders:read"]})",
                                         bearer(std::string(child.json().at("key").as_string())));
  ASSERT_EQ(grandchild.status, 201) << grandchild.body;
  const std::string grandchild_id(grandchild.json().at("id").as_string());

  for (const auto& victim : {sibling.id, stronger.id}) {
    for (const char* cascade : {"", "?cascade=true"}) {
      const auto refused = client.request("DELETE", "/api/keys/" + victim + cascade, "", as_manager);
      EXPECT_EQ(refused.status, 403) << refused.body;
      EXPECT_EQ(refused.json().at("error").at("code").as_string(), "not_made_under_you") << refused.body;
    }
  }
  // Refused means unchanged: both still work.
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(sibling.secret)).status, 200);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(stronger.secret)).status, 200);

  const auto grandchild_gone = client.request("DELETE", "/api/keys/" + grandchild_id, "", as_manager);
  EXPECT_EQ(grandchild_gone.status, 200) << grandchild_gone.body << ": made through a key it made";
  const auto child_gone = client.request("DELETE", "/api/keys/" + child_id, "", as_manager);
  EXPECT_EQ(child_gone.status, 200) << child_gone.body;
  const auto itself = client.request("DELETE", "/api/keys/" + manager.id, "", as_manager);
  EXPECT_EQ(itself.status, 200) << itself.body;
  EXPECT_EQ(client.request("GET", "/api/keys", {}, as_manager).status, 401);
  EXPECT_EQ(client.request("DELETE", "/api/keys/" + sibling.id, "", bearer(admin)).status, 200) << "the admin's";
}

TEST(Auth, KeysSurviveKill9) {
  TempDir dir;
  const std::string admin = random_admin_key();
  ServerProcess server(dir.path(), {"--admin-key", admin});
  server.start();
  ApiKey live, gone;
  std::string id;
  {
    HttpClient client(server.port());
    live = create_key(client, admin, kReadWrite);
    gone = create_key(client, admin, kReadWrite);
    id = submit(client, live.secret);
    ASSERT_EQ(client.request("DELETE", "/api/keys/" + gone.id, {}, bearer(admin)).status, 200);
  }
  server.kill9();
  server.start();
  HttpClient client(server.port());
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, bearer(live.secret)).status, 200);
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, bearer(gone.secret)).status, 401);
  const auto listed = client.request("GET", "/api/keys", {}, bearer(admin)).json();
  EXPECT_EQ(listed.at("count"), 2) << json::serialize(listed);
  // Its owner is part of the order, so another key still cannot see it.
  const auto other = create_key(client, admin, kReadWrite);
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, bearer(other.secret)).status, 404);
}

// Every file under `root`, as bytes.
std::string every_file(const std::filesystem::path& root) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    all += bytes.str();
  }
  return all;
}

// Every row of every table in the projection's database, as text.
std::string every_row(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::string all;
  for (const auto& t : tx.exec("SELECT quote_ident(table_name) FROM information_schema.tables "
                               "WHERE table_schema = 'public'")) {
    for (const auto& row : tx.exec("SELECT t::text FROM " + t[0].as<std::string>() + " t")) {
      all += row[0].c_str();
      all += '\n';
    }
  }
  return all;
}

TEST(Auth, TheSecretAppearsOnlyInTheAnswerThatCreatedIt) {
  testing::PgServer pg;
  TempDir dir;
  const std::string admin = random_admin_key();
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--admin-key", admin, "--database-url", pg.url(),
                                             "--log-level", "debug"});
  server.start();
  HttpClient client(server.port());
  const auto key = create_key(client, admin, kReadWrite);
  ASSERT_FALSE(key.secret.empty());
  const auto id = submit(client, key.secret);
  EXPECT_EQ(client.request("GET", "/api/orders/" + id + "xx", {}, bearer(key.secret)).status, 400);
  {
    WsClient ws(server.port(), "/ws?access_token=" + key.secret);  // the secret in a URL
    ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
    EXPECT_FALSE(next_where(ws, "type", "subscribed").is_null());
  }
  EXPECT_EQ(upgrade_status(server.port(), "/ws?access_token=" + key.secret + "x"), 401);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(admin)).body.find(key.secret), std::string::npos);
  const auto metrics = client.request("GET", "/metrics", {}, bearer(admin)).body;
  EXPECT_EQ(metrics.find(key.secret), std::string::npos);
  ASSERT_TRUE(eventually(
      [&] {
        return client.request("GET", "/api/orders/" + id, {}, bearer(key.secret)).json().at("status") == "confirmed";
      },
      30s));
  ASSERT_TRUE(eventually([&] { return every_row(pg.url()).find(id) != std::string::npos; }, 30s));
  EXPECT_EQ(server.terminate(), 0);

  // The secret's own text, and the part after its prefix in any case.
  const std::string body = key.secret.substr(4);
  for (const auto& [where, text] :
       std::vector<std::pair<std::string, std::string>>{{"the server's log", server.stdout_tail() + server.stderr_tail()},
                                                        {"the projection", every_row(pg.url())},
                                                        {"the data directory", every_file(dir.path() / "data")}}) {
    EXPECT_EQ(text.find(body), std::string::npos) << "the secret is in " << where;
    EXPECT_EQ(text.find(admin), std::string::npos) << "the admin key is in " << where;
  }
  const auto dump = run({kLogdump, "--data-dir", (dir.path() / "data").string(), "--format", "json"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("apiKeyCreated"), std::string::npos) << "the key's event is in the dump";
  EXPECT_EQ(dump.out.find(body), std::string::npos);
}

// A core and a gateway holding the same admin key, fed by one Redis.
struct GatewayPair {
  GatewayPair() : core(dir.path() / "core", {"--admin-key", admin, "--redis-url", redis.url()}) {
    core.start();
    gateway = std::make_unique<ServerProcess>(
        dir.path() / "gw", std::vector<std::string>{"--role", "gateway", "--admin-key", admin, "--core-url",
                                                    "http://127.0.0.1:" + std::to_string(core.port()), "--redis-url",
                                                    redis.url()});
    gateway->start();
    HttpClient g(gateway->port());
    EXPECT_TRUE(eventually([&] { return g.get("/health").json().at("redis").at("status") == "ok"; }, 20s));
  }
  oee::testing::RedisServer redis;
  TempDir dir;
  const std::string admin = random_admin_key();
  ServerProcess core;
  std::unique_ptr<ServerProcess> gateway;
};

TEST(Auth, AGatewayKnowsTheCoresKeysOwnershipAndRevocations) {
  GatewayPair cluster;
  HttpClient client(cluster.core.port());
  const auto a = create_key(client, cluster.admin, kReadWrite);
  const auto b = create_key(client, cluster.admin, kReadWrite);
  const auto of_a = submit(client, a.secret);
  const unsigned short gw = cluster.gateway->port();

  EXPECT_EQ(upgrade_status(gw, "/ws"), 401);
  EXPECT_EQ(HttpClient(gw).get("/metrics").status, 401);
  // The gateway's /health: status words to anyone, the core's address and
  // figures to the admin key.
  const auto words = HttpClient(gw).get("/health").json().as_object();
  EXPECT_EQ(words.at("redis").at("status").as_string(), "ok");
  EXPECT_FALSE(words.contains("core")) << "the core's address is the admin key's to see";
  EXPECT_FALSE(words.at("redis").as_object().contains("lastSeq"));
  const auto figures = HttpClient(gw).request("GET", "/health", {}, bearer(cluster.admin)).json().as_object();
  EXPECT_TRUE(figures.contains("core"));
  EXPECT_TRUE(figures.at("redis").as_object().contains("lastSeq"));
  // A key made after the gateway started reaches it through the feed.
  ASSERT_TRUE(eventually([&] { return upgrade_status(gw, "/ws?access_token=" + b.secret) == 101; }, 10s));

  WsClient ws_b(gw, "/ws?access_token=" + b.secret);
  ws_b.send(R"({"type":"subscribe","orderId":")" + of_a + R"("})");
  const auto error = next_where(ws_b, "type", "error");
  ASSERT_FALSE(error.is_null());
  EXPECT_EQ(error.at("error").at("code"), "not_found") << json::serialize(error);

  WsClient ws_a(gw, "/ws?access_token=" + a.secret);
  ws_a.send(R"({"type":"subscribe","orderId":")" + of_a + R"("})");
  EXPECT_FALSE(next_where(ws_a, "type", "subscribed").is_null());
  EXPECT_FALSE(next_where(ws_a, "event", "submitted").is_null()) << "A gets its order's events through the gateway";

  ASSERT_EQ(client.request("DELETE", "/api/keys/" + a.id, {}, bearer(cluster.admin)).status, 200);
  EXPECT_EQ(closed_with(ws_a), 1008) << "the revocation reaches the gateway through the stream";
  EXPECT_NE(ws_a.close_reason().find("revoked"), std::string::npos) << ws_a.close_reason();
  EXPECT_EQ(upgrade_status(gw, "/ws?access_token=" + a.secret), 401);

  // A key "created" by whoever can publish to Redis is not one: the gateway
  // only asks the core, which never heard of it.
  const api::NewSecret forged = api::new_key_secret();
  const auto forged_text = json::serialize(core::key_message(core::KeyMessage{
      core::KeyId::random(), TimestampNs::now(),
      core::ApiKeyCreated{"forged", core::Scopes::all(), forged.hash, {}, std::nullopt, std::nullopt},
                      Seq{1'000'000}}));
  HttpClient gw_client(gw);
  const auto messages = [&] {
    return metric_value(gw_client.request("GET", "/metrics", {}, bearer(cluster.admin)).body,
                        "oee_gateway_messages_total");
  };
  const double before = messages();
  cluster.redis.command("PUBLISH oee:keys " + forged_text);
  ASSERT_TRUE(eventually([&] { return messages() > before; }, 10s));
  EXPECT_EQ(upgrade_status(gw, "/ws?access_token=" + forged.text), 401);
  EXPECT_EQ(upgrade_status(gw, "/ws?access_token=" + b.secret), 101) << "the relisting it caused keeps real keys";

  // A gateway started after the keys were made lists them from the core.
  ServerProcess late(cluster.dir.path() / "gw2",
                     {"--role", "gateway", "--admin-key", cluster.admin, "--core-url",
                      "http://127.0.0.1:" + std::to_string(cluster.core.port()), "--redis-url", cluster.redis.url()});
  late.start();
  EXPECT_TRUE(eventually([&] { return upgrade_status(late.port(), "/ws?access_token=" + b.secret) == 101; }, 10s));
  EXPECT_EQ(upgrade_status(late.port(), "/ws?access_token=" + a.secret), 401);
}

TEST(Auth, AKeysRateLimitAllowsItsBurstThen429UntilRetryAfter) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite, R"(,"rateLimit":{"perSecond":1,"burst":3})");
  std::string id;
  HttpResponse refused;
  // The burst of 3 goes through, then 429: a slow machine may refill one
  // token on the way, so the refusal may come a request or two later.
  for (int sent = 0; sent < 10 && refused.status == 0; ++sent) {
    const auto res = client.request("POST", "/api/orders/execute", order_body(), bearer(key.secret));
    if (res.status == 429) {
      refused = res;
      break;
    }
    ASSERT_EQ(res.status, 202) << res.body;
    id = std::string(res.json().at("orderId").as_string());
    EXPECT_EQ(res.headers.at("RateLimit-Limit"), "3");
    if (sent == 0) {
      EXPECT_EQ(res.headers.at("RateLimit-Remaining"), "2");
    }
  }
  ASSERT_EQ(refused.status, 429) << "no refusal in 10 submits";
  EXPECT_EQ(refused.json().at("error").at("code"), "rate_limited");
  EXPECT_EQ(refused.headers.at("Retry-After"), "1");
  EXPECT_EQ(refused.headers.at("RateLimit-Remaining"), "0");
  EXPECT_EQ(refused.headers.at("RateLimit-Limit"), "3");
  EXPECT_GE(std::stoi(refused.headers.at("RateLimit-Reset")), 1);
  // Reads have a bucket of their own.
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, bearer(key.secret)).status, 200);
  // A client that waits Retry-After, as it is told to, gets one more through.
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(refused.headers.at("Retry-After"))));
  EXPECT_EQ(client.request("POST", "/api/orders/execute", order_body(), bearer(key.secret)).status, 202);
  EXPECT_EQ(client.request("POST", "/api/orders/execute", order_body(), bearer(admin)).status, 202)
      << "the admin key has no limit";
  EXPECT_EQ(metric_value(client.request("GET", "/metrics", {}, bearer(admin)).body, "oee_rate_limited_total"), 1);

  // A subscription on an open WebSocket is a read too: after the upgrade
  // (one read) the burst's rest, then a refusal that leaves the socket open.
  const auto reader = create_key(client, admin, R"(["orders:read"])", R"(,"rateLimit":{"perSecond":1,"burst":3})");
  WsClient ws(server.port(), "/ws?access_token=" + reader.secret);
  std::vector<std::string> codes;
  while (codes.size() < 10 && (codes.empty() || codes.back() != "rate_limited")) {
    ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
    const auto error = next_where(ws, "type", "error");
    ASSERT_FALSE(error.is_null()) << "each subscribe is answered";
    codes.emplace_back(error.at("error").at("code").as_string());
  }
  ASSERT_EQ(codes.back(), "rate_limited") << "no refusal in 10 subscriptions";
  EXPECT_GE(codes.size(), 3u) << "the burst's two reads left go through first";
  EXPECT_EQ(codes.front(), "not_found") << "another key's order";
  // A client that waits as it is told (1 s at one read a second) is heard
  // again: the socket stayed open.
  std::this_thread::sleep_for(1s);
  ws.send(R"({"type":"ping"})");
  EXPECT_FALSE(next_where(ws, "type", "pong").is_null()) << "the socket stays open";
}

// Every frame of a key's socket is a read: a flood of pings, unsubscribes
// and frames that do not parse gets the key's burst answered, then one 429,
// and nothing more; the admin key's socket, which has no limit, gets every
// one answered.
TEST(Auth, AKeysWebSocketFramesArePaidFromItsReadLimit) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, R"(["orders:read"])", R"(,"rateLimit":{"perSecond":1,"burst":5})");
  const auto flood = [](WsClient& ws) {
    for (int i = 0; i < 90; ++i) {
      ws.send(i % 3 == 0   ? std::string(R"({"type":"ping"})")
              : i % 3 == 1 ? std::string("not json")
                           : std::string(R"({"type":"unsubscribe","orderId":"00000000-0000-4000-8000-000000000000"})"));
    }
    int answered = 0, limited = 0;
    // Until the answers stop (the read that times out ends the socket).
    while (const auto text = ws.read(2s)) {
      const json::value m = json::parse(*text);
      const auto* error = m.as_object().if_contains("error");
      if (error != nullptr && error->at("code") == "rate_limited") {
        ++limited;
      } else {
        ++answered;
      }
    }
    return std::pair{answered, limited};
  };
  WsClient by_key(server.port(), "/ws?access_token=" + key.secret);
  const auto [answered, limited] = flood(by_key);
  EXPECT_EQ(limited, 1) << "one refusal, then silence";
  EXPECT_GE(answered, 4) << "the burst (5, less the upgrade's read) is answered";
  EXPECT_LE(answered, 7) << "more answered than the burst and two seconds' refill";
  WsClient by_admin(server.port(), "/ws?access_token=" + admin);
  const auto [admin_answered, admin_limited] = flood(by_admin);
  EXPECT_EQ(admin_answered, 90);
  EXPECT_EQ(admin_limited, 0);
}

// The events of an order, read with `key`.
json::array events_of(HttpClient& client, const std::string& key, const std::string& id) {
  const json::value page = client.request("GET", "/api/orders/" + id + "/events", {}, bearer(key)).json();
  return page.at("events").as_array();
}

// An order's status as the admin key reads it, or empty if it cannot.
std::string status_of(HttpClient& client, const std::string& admin, const std::string& id) {
  const auto order = client.request("GET", "/api/orders/" + id, {}, bearer(admin));
  return order.status == 200 ? std::string(order.json().at("status").as_string()) : std::string{};
}

std::string recurring(const std::string& amount, int slices, int interval) {
  return R"({"type":"recurring","inputToken":"SOL","outputToken":"USDC","amount":")" + amount +
         R"(","slices":)" + std::to_string(slices) + R"(,"interval":)" + std::to_string(interval) + "}";
}

// A recurring order spends its key's funds only while the key lives:
// revoked, the order is cancelled as its next slice falls due, naming the
// revocation, and no slice starts after.
TEST(Auth, ARevokedKeysRecurringOrderIsCancelledAndStartsNoMoreSlices) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite);
  const auto res = client.request("POST", "/api/orders/execute", recurring("5", 5, 2), bearer(key.secret));
  ASSERT_EQ(res.status, 202) << res.body;
  const std::string id(res.json().at("orderId").as_string());
  const auto started = [&] {
    int n = 0;
    for (const auto& e : events_of(client, admin, id)) n += e.at("event") == "sliceStarted" ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return started() >= 1; }, 10s)) << json::serialize(events_of(client, admin, id));
  ASSERT_EQ(client.request("DELETE", "/api/keys/" + key.id, {}, bearer(admin)).status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        const auto order = client.request("GET", "/api/orders/" + id, {}, bearer(admin));
        return order.status == 200 && order.json().at("status") == "cancelled";
      },
      10s))
      << json::serialize(events_of(client, admin, id));
  const auto events = events_of(client, admin, id);
  const auto cancelled = std::find_if(events.begin(), events.end(), [](const json::value& e) { return e.at("event") == "cancelled"; });
  ASSERT_NE(cancelled, events.end());
  EXPECT_NE(std::string(cancelled->at("reason").as_string()).find("revoked"), std::string::npos) << *cancelled;
  EXPECT_LE(started(), 2) << "slices started after the revocation";
  for (auto e = cancelled; e != events.end(); ++e) EXPECT_NE(e->at("event"), "sliceStarted") << *e;
}

// What a key set going stops with it. A limit order priced out of reach
// and a sniper order watching a token that never launches wait for ever, and
// a recurring order's next slice is a minute away: revoked, the key's three
// orders are cancelled at once, each naming the revocation; another key's
// waiting order is untouched.
TEST(Auth, ARevokedKeysWaitingAndRecurringOrdersAreCancelledAtOnceNamingTheRevocation) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite);
  const auto other = create_key(client, admin, kReadWrite);
  const std::string limit =
      R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","limitPrice":"100000"})";
  const std::string sniper = R"({"type":"sniper","targetToken":"NEVERLIVE","amount":"1","maxPrice":"0.001"})";
  std::vector<std::string> ids;
  for (const auto& body : {limit, sniper, recurring("2", 2, 60)}) {
    const auto res = client.request("POST", "/api/orders/execute", body, bearer(key.secret));
    ASSERT_EQ(res.status, 202) << res.body;
    ids.emplace_back(res.json().at("orderId").as_string());
  }
  const auto kept = client.request("POST", "/api/orders/execute", limit, bearer(other.secret));
  ASSERT_EQ(kept.status, 202) << kept.body;
  const std::string kept_id(kept.json().at("orderId").as_string());
  const auto status = [&](const std::string& id) { return status_of(client, admin, id); };
  // The first slice starts at once; the next is 60 s away.
  ASSERT_TRUE(eventually([&] { return status(ids[0]) == "open" && status(kept_id) == "open"; }, 10s));
  ASSERT_TRUE(eventually([&] { return status(ids[1]) == "watching"; }, 10s)) << status(ids[1]);
  ASSERT_EQ(client.request("DELETE", "/api/keys/" + key.id, {}, bearer(admin)).status, 200);
  for (const auto& id : ids) {
    EXPECT_TRUE(eventually([&] { return status(id) == "cancelled"; }, 10s)) << id << ": " << status(id);
    const auto events = events_of(client, admin, id);
    const auto cancelled = std::find_if(events.begin(), events.end(), [](const json::value& e) { return e.at("event") == "cancelled"; });
    ASSERT_NE(cancelled, events.end()) << json::serialize(events);
    EXPECT_NE(std::string(cancelled->at("reason").as_string()).find("revoked"), std::string::npos) << *cancelled;
  }
  EXPECT_EQ(status(kept_id), "open");
}

// An expiry ends what the key set going as a revocation does, when it
// passes, with nobody asking.
TEST(Auth, AnExpiredKeysWaitingOrderIsCancelledAsTheKeyExpires) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite, R"(,"expiresAt":)" + std::to_string(now_ms() + 3000));
  const auto res = client.request("POST", "/api/orders/execute",
                                  R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","limitPrice":"100000"})",
                                  bearer(key.secret));
  ASSERT_EQ(res.status, 202) << res.body;
  const std::string id(res.json().at("orderId").as_string());
  const auto status = [&] { return status_of(client, admin, id); };
  ASSERT_TRUE(eventually([&] { return status() == "open"; }, 10s)) << status();
  ASSERT_TRUE(eventually([&] { return status() == "cancelled"; }, 15s)) << status();
  const auto events = events_of(client, admin, id);
  EXPECT_NE(json::serialize(events.back()).find("expired"), std::string::npos) << json::serialize(events);
}

// A browser need not put a key in a URL: POST /api/ws-ticket answers a
// ticket that opens one WebSocket, as its key, once. A second upgrade with
// it, a made-up one, and one whose key was revoked after it was issued are
// each 401; the socket a ticket opened sees its key's orders and no other's.
TEST(Auth, AWebSocketTicketOpensOneSocketOnceAsItsKey) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto a = create_key(client, admin, kReadWrite);
  const auto b = create_key(client, admin, kReadWrite);
  const auto of_a = submit(client, a.secret);
  const auto of_b = submit(client, b.secret);
  const auto ticket_for = [&](const std::string& secret) {
    const auto res = client.request("POST", "/api/ws-ticket", {}, bearer(secret));
    EXPECT_EQ(res.status, 201) << res.body;
    EXPECT_NE(res.body.find("oee_wst_"), std::string::npos) << res.body;
    return res.status == 201 ? std::string(res.json().at("ticket").as_string()) : std::string{};
  };
  EXPECT_EQ(client.request("POST", "/api/ws-ticket", {}, {}).status, 401);

  const auto ticket = ticket_for(a.secret);
  {
    WsClient ws(server.port(), "/ws?ticket=" + ticket);
    ws.send(R"({"type":"subscribe","orderId":")" + of_a + R"("})");
    EXPECT_FALSE(next_where(ws, "type", "subscribed").is_null()) << "a ticket's socket is its key's";
    ws.send(R"({"type":"subscribe","orderId":")" + of_b + R"("})");
    const auto error = next_where(ws, "type", "error");
    ASSERT_FALSE(error.is_null());
    EXPECT_EQ(error.at("error").at("code"), "not_found") << "another key's order, through a ticket";
  }
  EXPECT_EQ(upgrade_status(server.port(), "/ws?ticket=" + ticket), 401) << "a ticket opens one socket";
  EXPECT_EQ(upgrade_status(server.port(), "/ws?ticket=oee_wst_" + std::string(64, '0')), 401);

  const auto before_revocation = ticket_for(b.secret);
  ASSERT_EQ(client.request("DELETE", "/api/keys/" + b.id, {}, bearer(admin)).status, 200);
  EXPECT_EQ(upgrade_status(server.port(), "/ws?ticket=" + before_revocation), 401)
      << "a revoked key's ticket still opened a socket";

  // Any stream path takes one, the admin key may ask for one too.
  EXPECT_EQ(upgrade_status(server.port(), "/api/orders/status?ticket=" + ticket_for(a.secret)), 101);
  EXPECT_EQ(upgrade_status(server.port(), "/ws?ticket=" + ticket_for(admin)), 101);
}

// One submit must not schedule unbounded work: a key holds at most
// --max-recurring-per-key active recurring orders. Past the cap a new one
// is 429 too_many_recurring and changes nothing; a retry of one it holds
// is still its order; another key is not held back; once one ends, there
// is room again.
TEST(Auth, AKeyHoldsAtMostItsCapOfActiveRecurringOrders) {
  SecuredServer secured({"--sim", "fast", "--max-recurring-per-key", "2"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite);
  const auto other = create_key(client, admin, kReadWrite);
  const auto send = [&](const std::string& secret, const std::string& idempotency = {}) {
    Headers headers = bearer(secret);
    if (!idempotency.empty()) headers["Idempotency-Key"] = idempotency;
    return client.request("POST", "/api/orders/execute", recurring("1", 3, 60), headers);
  };
  const auto first = send(key.secret, "first");
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(send(key.secret).status, 202);
  const auto refused = send(key.secret, "third");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code"), "too_many_recurring") << refused.body;
  const auto replay = send(key.secret, "first");
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json().at("orderId"), first.json().at("orderId"));
  EXPECT_EQ(send(other.secret).status, 202) << "another key's cap is its own";
  // A market order is not a recurring one.
  EXPECT_EQ(client.request("POST", "/api/orders/execute", order_body(), bearer(key.secret)).status, 202);

  const std::string first_id(first.json().at("orderId").as_string());
  ASSERT_EQ(client.request("DELETE", "/api/orders/" + first_id, {}, bearer(key.secret)).status, 200);
  // 202, not 200: the refused submit of "third" stored nothing to replay.
  EXPECT_TRUE(eventually([&] { return send(key.secret, "third").status == 202; }, 5s)) << "no room after one ended";
}

// Limits follow delegation: a key the admin key made and every key made
// under it (its tree) share its write bucket, its cap of active recurring
// orders, its quota of unspent WebSocket tickets and --max-keys-per-key,
// so a key gains nothing by making keys; and nothing a tree spends is
// felt by another tree or by the admin key.
TEST(Auth, KeysMadeUnderAKeyShareItsLimits) {
  SecuredServer secured({"--sim", "fast", "--max-recurring-per-key", "2", "--max-keys-per-key", "3"});
  auto& [dir, admin, server, client] = secured;
  const std::string kMaker = R"(["keys:admin","orders:read","orders:write"])";
  const auto make_under = [&](const ApiKey& maker, const std::string& extra = "") {
    const auto res = client.request(
        "POST", "/api/keys", R"({"name":"child","scopes":["keys:admin","orders:read","orders:write"])" + extra + "}",
        bearer(maker.secret));
    EXPECT_EQ(res.status, 201) << res.body;
    if (res.status != 201) return ApiKey{};
    return ApiKey{std::string(res.json().at("id").as_string()), std::string(res.json().at("key").as_string())};
  };

  // Writes: a child's submits are paid from its maker's bucket too.
  const auto slow = create_key(client, admin, kMaker, R"(,"rateLimit":{"perSecond":1,"burst":4})");
  const auto slow_child = make_under(slow);
  int accepted = 0;
  while (accepted < 10 &&
         client.request("POST", "/api/orders/execute", order_body(), bearer(slow_child.secret)).status == 202)
    ++accepted;
  EXPECT_LE(accepted, 5) << "a child wrote past its tree's burst";
  const auto refused = client.request("POST", "/api/orders/execute", order_body(), bearer(slow.secret));
  EXPECT_EQ(refused.status, 429) << "the child's writes were not its maker's: " << refused.body;

  // Recurring orders: 2 for the whole tree.
  const auto planner = create_key(client, admin, kMaker);
  const auto planner_child = make_under(planner);
  const auto grandchild = make_under(planner_child);
  const auto recurring_by = [&](const ApiKey& key) {
    return client.request("POST", "/api/orders/execute", recurring("1", 3, 60), bearer(key.secret));
  };
  EXPECT_EQ(recurring_by(planner).status, 202);
  EXPECT_EQ(recurring_by(planner_child).status, 202);
  const auto third = recurring_by(grandchild);
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_EQ(third.json().at("error").at("code"), "too_many_recurring") << third.body;
  const auto stranger = create_key(client, admin, kMaker);
  EXPECT_EQ(recurring_by(stranger).status, 202) << "another tree's cap is its own";

  // Keys: the planner's tree holds 2 made keys; 1 more, then none, revoked
  // ones counted (each stays in memory).
  const auto last = make_under(grandchild);
  ASSERT_FALSE(last.id.empty());
  EXPECT_EQ(client.request("DELETE", "/api/keys/" + last.id, "", bearer(planner.secret)).status, 200);
  const auto fourth = client.request("POST", "/api/keys", R"({"name":"x","scopes":["orders:read"]})",
                                     bearer(planner.secret));
  EXPECT_EQ(fourth.status, 429) << fourth.body;
  EXPECT_EQ(fourth.json().at("error").at("code"), "too_many_keys") << fourth.body;
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(admin)).json().at("count"), 7)
      << "a refused key was made";
  EXPECT_FALSE(make_under(stranger).id.empty()) << "another tree's keys are its own";

  // Tickets: 100 unspent for the tree, taken by two of its keys.
  const auto ticket_for = [&](const ApiKey& key) {
    return client.request("POST", "/api/ws-ticket", {}, bearer(key.secret)).status;
  };
  for (int i = 0; i < 100; ++i) ASSERT_EQ(ticket_for(i % 2 == 0 ? planner_child : grandchild), 201) << i;
  const auto spent_out = client.request("POST", "/api/ws-ticket", {}, bearer(planner.secret));
  EXPECT_EQ(spent_out.status, 429) << spent_out.body;
  EXPECT_EQ(spent_out.json().at("error").at("code"), "too_many_tickets") << spent_out.body;
  EXPECT_EQ(ticket_for(stranger), 201) << "another tree was denied a ticket";
  EXPECT_EQ(client.request("POST", "/api/ws-ticket", {}, bearer(admin)).status, 201) << "the admin was denied one";
}

// Each slice a recurring order starts is a write of its key, paid from the
// same bucket as its submits: while a client keeps the key busy, the
// key's submits and slices together stay within its limit, and the
// slices wait for their turn rather than being lost.
TEST(Auth, ARecurringOrdersSlicesArePaidFromItsKeysWriteLimit) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite, R"(,"rateLimit":{"perSecond":1,"burst":1})");
  const auto started_at = std::chrono::steady_clock::now();
  const auto res = client.request("POST", "/api/orders/execute", recurring("4", 4, 1), bearer(key.secret));
  ASSERT_EQ(res.status, 202) << res.body;
  const std::string id(res.json().at("orderId").as_string());
  int accepted = 1;  // the recurring order's own submit
  // The busy client: a submit every 100 ms for 4 s.
  while (std::chrono::steady_clock::now() - started_at < 4s) {
    if (client.request("POST", "/api/orders/execute", order_body(), bearer(key.secret)).status == 202) ++accepted;
    std::this_thread::sleep_for(100ms);
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  int slices = 0;
  for (const auto& e : events_of(client, admin, id)) slices += e.at("event") == "sliceStarted" ? 1 : 0;
  // The bucket: one at once, then one a second.
  EXPECT_LE(accepted + slices, 1 + static_cast<int>(elapsed) + 1)
      << accepted << " submits and " << slices << " slices in " << elapsed << " s";
  // Nothing is lost: every slice starts once the client stops.
  EXPECT_TRUE(eventually(
      [&] {
        const auto order = client.request("GET", "/api/orders/" + id, {}, bearer(admin));
        return order.status == 200 && order.json().at("status") == "completed";
      },
      30s))
      << json::serialize(events_of(client, admin, id));
}

TEST(Auth, GuessingKeysFromOneAddressIsSlowedTo429AndValidKeysThereAreStillHeard) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  const auto user = create_key(client, admin, kReadWrite);
  int unauthorized = 0, limited = 0;
  for (int i = 0; i < 40; ++i) {
    const auto res = client.request("GET", "/api/orders/00000000-0000-4000-8000-000000000000", {},
                                    bearer("oee_guess" + std::to_string(i)));
    if (res.status == 401) ++unauthorized;
    if (res.status == 429) {
      ++limited;
      EXPECT_GE(std::stoi(res.headers.at("Retry-After")), 1);
    }
  }
  EXPECT_LE(unauthorized, 25) << "a burst of failures, then 429";
  EXPECT_GE(limited, 15);
  EXPECT_EQ(unauthorized + limited, 40);
  // Only failures are throttled: the users who share the guesser's address
  // (behind one proxy or NAT, on one host) are still served, over HTTP and
  // WebSocket, while its next guess still gets 429.
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer(admin)).status, 200) << "the admin key was locked out";
  EXPECT_EQ(submit(client, user.secret).empty(), false) << "a user's key was locked out";
  EXPECT_EQ(upgrade_status(server.port(), "/ws", "Bearer " + user.secret), 101) << "a user's WebSocket was locked out";
  EXPECT_EQ(client.request("GET", "/api/keys", {}, bearer("oee_guess-again")).status, 429);
  const auto metrics = client.request("GET", "/metrics", {}, bearer(admin)).body;
  EXPECT_NE(metrics.find("oee_auth_failures_total{reason=\"unknown\"} " + std::to_string(unauthorized)),
            std::string::npos)
      << "a throttled guess is not counted again: " << metrics;
  EXPECT_EQ(prometheus_format_errors(metrics), "");

  // Failures are logged, a line a second at most, with the address and a
  // reason word and nothing the client sent.
  const auto failure_lines = [&] {
    const std::string log = server.stdout_tail();
    std::size_t lines = 0;
    for (std::size_t at = log.find("authentication failed from 127.0.0.1"); at != std::string::npos;
         at = log.find("authentication failed from 127.0.0.1", at + 1)) {
      ++lines;
    }
    return lines;
  };
  EXPECT_TRUE(eventually([&] { return failure_lines() >= 1; }, 5s)) << server.stdout_tail();
  EXPECT_LE(failure_lines(), 3u) << "41 failures within a moment: " << server.stdout_tail();
  EXPECT_EQ(server.stdout_tail().find("oee_guess"), std::string::npos) << "a guessed key in the log";
  EXPECT_TRUE(eventually(
      [&] {
        (void)client.request("GET", "/api/keys", {}, bearer("oee_guess-later"));
        return server.stdout_tail().find("more failures not logged") != std::string::npos;
      },
      10s))
      << "the next line says how many were left out: " << server.stdout_tail();
}

// One key cannot hold every WebSocket: past its cap an upgrade gets 429,
// another key is unaffected, and closing one lets the key open another.
TEST(Auth, AKeyHoldsAtMostItsCapOfWebSockets) {
  SecuredServer secured({"--max-websockets-per-key", "2"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, R"(["orders:read"])");
  const auto other = create_key(client, admin, R"(["orders:read"])");
  const std::string target = "/ws?access_token=" + key.secret;
  auto first = std::make_unique<WsClient>(server.port(), target);
  WsClient second(server.port(), target);
  for (WsClient* ws : {first.get(), &second}) {
    ws->send(R"({"type":"ping"})");
    ASSERT_FALSE(next_where(*ws, "type", "pong").is_null()) << "the first two are open";
  }
  RawConnection third(server.port());
  third.send("GET " + target +
             " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  third.read_until_closed(5s);
  EXPECT_NE(third.received().find(" 429 "), std::string::npos) << third.received();
  EXPECT_NE(third.received().find("too_many_websockets"), std::string::npos) << third.received();
  EXPECT_EQ(upgrade_status(server.port(), "/ws?access_token=" + other.secret), 101) << "another key's are its own";
  first.reset();
  EXPECT_TRUE(eventually([&] { return upgrade_status(server.port(), target) == 101; }, 10s))
      << "a closed one frees its place";
  EXPECT_GE(metric_value(client.request("GET", "/metrics", {}, bearer(admin)).body,
                         R"(oee_connections_refused_total{cap="per_key"})"),
            1);
}

// With keys, any Host name is answered: a re-pointed name reads nothing
// without one (DNS rebinding needs the server to answer keyless requests).
TEST(Auth, WithKeysAnyHostNameIsAnswered) {
  SecuredServer secured;
  auto& [dir, admin, server, client] = secured;
  auto with_key = bearer(admin);
  with_key["Host"] = "oee.internal.example:3000";
  EXPECT_EQ(client.request("GET", "/api/keys", {}, with_key).status, 200);
  EXPECT_EQ(client.request("GET", "/api/keys", {}, {{"Host", "oee.internal.example"}}).status, 401);
}

TEST(Auth, TheToolsTakeAnApiKey) {
  SecuredServer secured({"--sim", "fast"});
  auto& [dir, admin, server, client] = secured;
  const auto key = create_key(client, admin, kReadWrite);
  const std::string base = "127.0.0.1:" + std::to_string(server.port());

  const auto load = run({kLoadgen, "--target", "http://" + base, "--orders", "5", "--subscribers", "1", "--api-key",
                         key.secret, "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  const auto report = json::parse(load.out);
  EXPECT_EQ(report.at("accepted"), 5) << load.out;
  EXPECT_EQ(report.at("confirmed"), 5) << load.out;
  const auto keyless = run({kLoadgen, "--target", "http://" + base, "--orders", "2", "--json"});
  EXPECT_NE(keyless.exit_code, 0) << keyless.out;

  const auto id = submit(client, key.secret);
  const auto watched = run({kWatch, "--url", "ws://" + base + "/ws", "--api-key", key.secret, id});
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  EXPECT_NE(watched.out.find("\"confirmed\""), std::string::npos) << watched.out;
  const auto refused = run({kWatch, "--url", "ws://" + base + "/ws", id});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--api-key"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace oee::e2e
