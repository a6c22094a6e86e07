// oee-watch: follow orders over the WebSocket stream and print each status
// message as one JSON line. Exits 0 once every order is terminal.

#include <chrono>
#include <cstdio>
#include <set>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "api/tls/tls_context.h"
#include "api/tls/transport.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

int main(int argc, char** argv) {
  CLI::App cli{"oee-watch: stream order status updates from an oee server (or gateway) over WebSocket"};
  std::string url = "ws://127.0.0.1:3000/ws";
  std::vector<std::string> orders;
  std::uint64_t from_seq = 0;
  int timeout_s = 120;
  std::string api_key;
  std::string ca_file;
  cli.add_option("--url", url, "WebSocket endpoint: ws://, or wss:// for a server with TLS")
      ->envname("OEE_WS_URL")->capture_default_str();
  cli.add_option("--ca-file", ca_file, "For wss://: the CA certificates (PEM) to check the server's against "
                                       "(default: the system's)")
      ->envname("OEE_CA_FILE");
  cli.add_option("--api-key", api_key, "The API key to stream with, when the server has authentication on")
      ->envname("OEE_API_KEY");
  cli.add_option("--from-seq", from_seq, "Replay only events with seq >= this (0: the whole history)");
  cli.add_option("--timeout", timeout_s, "Give up after this many seconds without a message")->capture_default_str();
  cli.add_option("order-ids", orders, "Order ids to follow")->required();
  CLI11_PARSE(cli, argc, argv);

  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "ws" && parsed->scheme() != "wss")) {
    std::fprintf(stderr, "oee-watch: --url must look like ws://host:port/ws or wss://host:port/ws\n");
    return 2;
  }
  const bool secure = parsed->scheme() == "wss";
  oee::api::TlsContext tls;
  if (secure) {
    auto context = oee::api::client_tls_context(ca_file);
    if (!context) {
      std::fprintf(stderr, "oee-watch: --ca-file: %s\n", context.error().c_str());
      return 2;
    }
    tls = *context;
  }
  const std::string host(parsed->host_address());
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : secure ? "443" : "80";
  const std::string target = parsed->encoded_path().empty() ? "/ws" : std::string(parsed->encoded_path());

  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    websocket::stream<oee::api::Transport> ws{beast::tcp_stream(ioc)};
    beast::get_lowest_layer(ws).connect(resolver.resolve(host, port));
    if (secure) {
      ws.next_layer().client_handshake(*tls, host);
    }
    // oee's own dialect: acknowledgements, and amounts as exact strings.
    ws.set_option(websocket::stream_base::decorator([&api_key](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "oee.v1");
      if (!api_key.empty()) req.set(beast::http::field::authorization, "Bearer " + api_key);
    }));
    websocket::response_type answer;
    boost::system::error_code refused;
    ws.handshake(answer, host + ":" + port, target, refused);
    if (refused) {
      const unsigned status = answer.result_int();
      if (status == 401 || status == 403 || status == 429) {
        std::fprintf(stderr, "oee-watch: %s refused the stream (%u): %s%s\n", url.c_str(), status,
                     answer.body().c_str(),
                     status == 401 ? "\n  give an API key with orders:read: --api-key or OEE_API_KEY" : "");
        return 1;
      }
      throw boost::system::system_error(refused);
    }
    std::set<std::string> open(orders.begin(), orders.end());
    for (const auto& id : orders) {
      json::object sub{{"type", "subscribe"}, {"orderId", id}};
      if (from_seq > 0) sub["fromSeq"] = from_seq;
      ws.write(asio::buffer(json::serialize(sub)));
    }
    while (!open.empty()) {
      beast::flat_buffer buffer;
      boost::system::error_code ec = asio::error::would_block;
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(timeout_s));
      ws.async_read(buffer, [&](boost::system::error_code e, std::size_t) { ec = e; });
      ioc.restart();
      ioc.run();
      if (ec) {
        std::fprintf(stderr, "oee-watch: %s\n", ec == beast::error::timeout ? "timed out waiting for updates"
                                                                            : ec.message().c_str());
        return 1;
      }
      const std::string text = beast::buffers_to_string(buffer.data());
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
      const auto v = json::parse(text).as_object();
      if (const auto* type = v.if_contains("type"); type != nullptr && *type == "error") {
        if (const auto* id = v.at("error").as_object().if_contains("field"); id != nullptr) {
          std::fprintf(stderr, "oee-watch: server refused a subscription\n");
          return 1;
        }
      }
      if (v.contains("terminal")) open.erase(std::string(v.at("orderId").as_string()));
    }
    ws.close(websocket::close_code::normal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-watch: cannot stream from %s: %s\n", url.c_str(), e.what());
    return 1;
  }
  return 0;
}
