// TLS with the real process: a CA and certificates made with the openssl
// command at test time; HTTPS and WSS on the server's one port, the tools
// and a gateway as TLS clients, and plain HTTP to the port refused.

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/tls/tls_context.h"
#include "api/tls/transport.h"
#include "harness.h"
#include "redis_server.h"
#include "test_certificates.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;

struct Answer {
  unsigned status = 0;
  std::string body;
  std::string strict_transport_security;
  [[nodiscard]] json::value json() const { return json::parse(body); }
};

// One HTTPS request, the server's certificate checked against `ca`.
Answer https(unsigned short port, const std::string& ca, const std::string& method, const std::string& target,
             const std::string& body = {}, const std::string& bearer = {}) {
  auto context = api::client_tls_context(ca);
  if (!context) throw std::runtime_error(context.error());
  asio::io_context io;
  api::Transport stream{beast::tcp_stream(io)};
  stream.tcp().connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  // A server that stops answering fails the test instead of hanging it.
  const timeval ten_seconds{10, 0};
  for (const int option : {SO_RCVTIMEO, SO_SNDTIMEO}) {
    ::setsockopt(stream.tcp().socket().native_handle(), SOL_SOCKET, option, &ten_seconds, sizeof ten_seconds);
  }
  stream.client_handshake(**context, "127.0.0.1");
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), res.body(), std::string(res[http::field::strict_transport_security])};
}

// A core that speaks TLS only, with authentication on, and a key that may
// submit and read.
struct SecureCore {
  SecureCore()
      : server(dir.path() / "core", {"--sim", "fast", "--admin-key", admin, "--tls-cert", certs.path("server.pem"),
                                     "--tls-key", certs.path("server.key")}) {
    server.start();
    const auto made = https(server.port(), certs.path("ca.pem"), "POST", "/api/keys",
                            R"({"name":"tls","scopes":["orders:read","orders:write"]})", admin);
    EXPECT_EQ(made.status, 201) << made.body;
    key = std::string(made.json().at("key").as_string());
  }
  [[nodiscard]] std::string submit() const {
    const auto r = https(server.port(), certs.path("ca.pem"), "POST", "/api/orders/execute", order_body(), key);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? std::string(r.json().at("orderId").as_string()) : std::string();
  }
  [[nodiscard]] std::string base() const { return "127.0.0.1:" + std::to_string(server.port()); }
  Certificates certs;
  TempDir dir;
  std::string admin = random_admin_key();
  ServerProcess server;
  std::string key;
};

TEST(Tls, HttpsAndWssOnOnePortAndPlainHttpIsRefusedCleanly) {
  SecureCore core;
  const std::string ca = core.certs.path("ca.pem");
  const auto id = core.submit();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually(
      [&] {
        return https(core.server.port(), ca, "GET", "/api/orders/" + id, {}, core.key).json().at("status") ==
               "confirmed";
      },
      30s));
  // A browser that came over TLS is told to keep to it.
  EXPECT_EQ(https(core.server.port(), ca, "GET", "/health").strict_transport_security, "max-age=31536000");

  // A WebSocket over TLS on the same port: oee-watch follows the order.
  const auto watched = run({kWatch, "--url", "wss://" + core.base() + "/ws", "--ca-file", ca, "--api-key", core.key, id});
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  EXPECT_NE(watched.out.find("\"confirmed\""), std::string::npos) << watched.out;

  // Each connection that does not become TLS is counted once.
  const auto failures = [&] {
    return metric_value(https(core.server.port(), ca, "GET", "/metrics", {}, core.admin).body,
                        "oee_tls_failures_total");
  };
  double counted = failures();

  // Plain HTTP gets a plain answer saying which scheme to use, then the
  // connection closes; the port goes on serving TLS.
  RawConnection plain(core.server.port());
  plain.send("POST /api/orders/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: " + std::to_string(order_body().size()) + "\r\n\r\n" + order_body());
  EXPECT_TRUE(plain.read_until_closed(10s)) << plain.received();
  EXPECT_EQ(plain.received().rfind("HTTP/1.1 400", 0), 0u) << plain.received();
  EXPECT_NE(plain.received().find("tls_required"), std::string::npos) << plain.received();
  EXPECT_EQ(failures(), ++counted);
  EXPECT_EQ(run({kWatch, "--url", "ws://" + core.base() + "/ws", "--api-key", core.key, id}).exit_code, 1);
  EXPECT_EQ(failures(), ++counted);
  // A ClientHello's header and then junk: the handshake fails, the
  // connection closes without an answer, and the port serves on.
  RawConnection broken(core.server.port());
  std::string hello("\x16\x03\x01\x00\x40" "\x01\x00\x00\x3c", 9);  // a record, a ClientHello in it
  hello += std::string(0x3c, '\x7f');
  broken.send(hello);
  EXPECT_TRUE(broken.read_until_closed(15s));
  EXPECT_EQ(broken.received().find("HTTP/1.1"), std::string::npos) << broken.received();
  EXPECT_EQ(failures(), ++counted);
  EXPECT_EQ(https(core.server.port(), ca, "GET", "/health").status, 200);

  // A certificate from a CA the client does not trust is refused.
  const auto stranger = run({kWatch, "--url", "wss://" + core.base() + "/ws", "--ca-file",
                             core.certs.path("stranger.pem"), "--api-key", core.key, id});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.err.find("certificate verify failed"), std::string::npos) << stranger.err;
  EXPECT_THROW(https(core.server.port(), core.certs.path("stranger.pem"), "GET", "/health"), std::exception);
  EXPECT_TRUE(eventually([&] { return failures() == counted + 2; }, 10s)) << "each refused handshake";
}

TEST(Tls, TheLoadGeneratorAndAGatewayAreTlsClients) {
  SecureCore core;
  const std::string ca = core.certs.path("ca.pem");
  const auto load = run({kLoadgen, "--target", "https://" + core.base(), "--ca-file", ca, "--orders", "10",
                         "--subscribers", "1", "--api-key", core.key, "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  const auto report = json::parse(load.out);
  EXPECT_EQ(report.at("accepted"), 10) << load.out;
  EXPECT_EQ(report.at("confirmed"), 10) << load.out;

  // A gateway that speaks TLS itself and reaches the core over https://:
  // an order's past comes from the core, checked against the CA.
  oee::testing::RedisServer redis;
  ServerProcess core_with_redis(core.dir.path() / "core2",
                                {"--sim", "fast", "--admin-key", core.admin, "--redis-url", redis.url(), "--tls-cert",
                                 core.certs.path("server.pem"), "--tls-key", core.certs.path("server.key")});
  core_with_redis.start();
  const unsigned short core2 = core_with_redis.port();
  const auto made = https(core2, ca, "POST", "/api/keys", R"({"name":"gw","scopes":["orders:read","orders:write"]})",
                          core.admin);
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string key(made.json().at("key").as_string());
  const auto submitted = https(core2, ca, "POST", "/api/orders/execute", order_body(), key);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const std::string id(submitted.json().at("orderId").as_string());

  ServerProcess gateway(core.dir.path() / "gw",
                        {"--role", "gateway", "--admin-key", core.admin, "--core-url",
                         "https://127.0.0.1:" + std::to_string(core2), "--ca-file", ca, "--redis-url", redis.url(),
                         "--tls-cert", core.certs.path("server.pem"), "--tls-key", core.certs.path("server.key")});
  gateway.start();
  const std::string gw = "wss://127.0.0.1:" + std::to_string(gateway.port()) + "/ws";
  std::string err;
  EXPECT_TRUE(eventually(
      [&] {
        const auto watched = run({kWatch, "--url", gw, "--ca-file", ca, "--api-key", key, id});
        err = watched.err + watched.out;
        return watched.exit_code == 0 && watched.out.find("\"confirmed\"") != std::string::npos;
      },
      30s))
      << err;

  // A gateway told to trust another CA cannot reach the core, and says so.
  ServerProcess distrustful(core.dir.path() / "gw2",
                            {"--role", "gateway", "--admin-key", core.admin, "--core-url",
                             "https://127.0.0.1:" + std::to_string(core2), "--ca-file",
                             core.certs.path("stranger.pem"), "--redis-url", redis.url(), "--log-level", "info"});
  distrustful.start();
  EXPECT_TRUE(eventually(
      [&] { return distrustful.stdout_tail().find("certificate verify failed") != std::string::npos; }, 20s))
      << distrustful.stdout_tail();
}

TEST(Tls, BadCertificateOptionsRefuseToStartAndTouchNothing) {
  Certificates certs;
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{"--tls-cert", certs.path("server.pem")}, "--tls-key"},
      {{"--tls-cert", certs.path("server.pem"), "--tls-key", certs.path("ca.key")}, "is not the certificate's"},
      {{"--tls-cert", certs.path("san.cnf"), "--tls-key", certs.path("server.key")}, "cannot use the certificate"},
      {{"--tls-cert", certs.path("server.pem"), "--tls-key", certs.path("missing.key")}, "--tls-key"},
      {{"--role", "gateway", "--core-url", "https://127.0.0.1:1", "--ca-file", certs.path("san.cnf")}, "--ca-file"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{kServer, "--data-dir", (dir.path() / "data").string(), "--port", "0"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 2) << c.says << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "data")) << c.says;
  }
}

}  // namespace
}  // namespace oee::e2e
