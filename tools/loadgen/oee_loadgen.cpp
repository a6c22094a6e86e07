// oee-loadgen: drives an oee core over keep-alive HTTP and follows each
// order over WebSocket (on the core or a gateway), reporting submit,
// submit->terminal and append->WebSocket-receive latencies. How a run is
// driven: load.h.

#include <sys/resource.h>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "tools/loadgen/load.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/run.h"

using namespace oee::loadgen;

namespace {

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "oee-loadgen: submits orders to an oee core over keep-alive HTTP (or over WebSocket) and follows them over "
      "WebSocket, then "
      "reports submit, submit->terminal and append->WebSocket-receive latency (p50/p90/p99/p99.9/max) and "
      "throughput. Loopback targets only."};
  Options opt;
  cli.add_option("--target", opt.target, "The core's base URL, http:// or https:// (orders are POSTed here)")
      ->capture_default_str();
  cli.add_option("--ca-file", opt.ca_file,
                 "For https:// and wss://: the CA certificates (PEM) to check the server's against (default: the "
                 "system's)")
      ->envname("OEE_CA_FILE");
  cli.add_option("--api-key", opt.api_key, "The API key to submit and follow with (authentication on)")
      ->envname("OEE_API_KEY");
  cli.add_option("--ws-url", opt.ws_url, "Where to follow orders: the core's or a gateway's /ws (default: the target's /ws)");
  cli.add_option("--rate", opt.rate, "Open loop: orders per second, due on a fixed schedule (0: closed loop)")
      ->check(CLI::Range(0.0, 10'000'000.0));
  cli.add_option("--connections", opt.connections, "Keep-alive HTTP connections submitting")
      ->check(CLI::Range(1u, 10'000u))->capture_default_str();
  cli.add_option("--subscribers", opt.subscribers,
                 "WebSocket connections following the orders (round-robin); 0: submit only")
      ->check(CLI::Range(0u, 100'000u))->capture_default_str();
  cli.add_option("--orders", opt.orders, "Stop after this many orders")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
      ->capture_default_str();
  cli.add_option("--duration", opt.duration, "Stop submitting after this many seconds")->check(CLI::Range(0.1, 86'400.0))
      ->capture_default_str();
  cli.add_option("--drain", opt.drain, "Seconds to wait for terminal statuses after the last submit")
      ->check(CLI::Range(0.0, 3'600.0))->capture_default_str();
  cli.add_option("--body", opt.body, "The order JSON to submit")->capture_default_str();
  std::string submit_over = "http";
  cli.add_option("--submit-over", submit_over,
                 "http: POST each order over keep-alive HTTP (--connections) and follow it on --subscribers "
                 "WebSockets, unsubscribing at its end; ws: each of --connections WebSockets submits its orders "
                 "({\"type\":\"submit\"}) and follows them on itself (--subscribers is not used)")
      ->check(CLI::IsMember({"http", "ws"}))->capture_default_str();
  cli.add_flag("--json", opt.json_output, "Print one JSON object instead of the table");
  CLI11_PARSE(cli, argc, argv);
  opt.submit_over_ws = submit_over == "ws";

  Run run;
  run.opt = opt;
  std::string error;
  auto core = loopback_url(opt.target, "http", error);
  if (!core) {
    std::fprintf(stderr, "oee-loadgen: --target: %s\n", error.c_str());
    return 2;
  }
  run.core = *core;
  const std::string ws_text =
      opt.ws_url.empty() ? (core->tls ? "wss://" : "ws://") + core->host + ":" + core->port + "/ws" : opt.ws_url;
  auto ws = loopback_url(ws_text, "ws", error);
  if (!ws) {
    std::fprintf(stderr, "oee-loadgen: --ws-url: %s\n", error.c_str());
    return 2;
  }
  run.ws = *ws;
  if (run.core.tls || run.ws.tls) {
    auto context = oee::api::client_tls_context(opt.ca_file);
    if (!context) {
      std::fprintf(stderr, "oee-loadgen: --ca-file: %s\n", context.error().c_str());
      return 2;
    }
    run.tls = *context;
  }
  raise_fd_limit();

  boost::asio::co_spawn(run.ioc, run_all(run), boost::asio::detached);
  run.ioc.run();

  return report(run);
}
