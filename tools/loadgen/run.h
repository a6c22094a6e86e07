#pragma once
// One load run: what the user asked for and what the run has seen so far.
// Everything runs on the run's single io_context thread: the generator
// should take as little CPU from the server as it can on a shared machine.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/tls/tls_context.h"
#include "tools/loadgen/latency_histogram.h"

namespace oee::loadgen {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target = "http://127.0.0.1:3000";
  std::string ws_url;  // default: the target's /ws
  std::string api_key;  // sent as a bearer token, when set
  std::string ca_file;  // for https:// and wss://; empty: the system's CAs
  double rate = 0;     // orders/s; 0: closed loop
  unsigned connections = 16;
  unsigned subscribers = 0;  // 0: do not follow orders
  std::uint64_t orders = 10'000;
  double duration = 60;  // seconds of submitting, at most
  double drain = 30;     // seconds to wait for terminal statuses after the last submit
  std::string body = R"({"inputToken":"SOL","outputToken":"USDC","amount":"1","slippage":0.05})";
  bool json_output = false;
  /// Submit over keep-alive HTTP and follow on `subscribers` sockets, or
  /// submit over the WebSocket (each of `connections` sockets submits and
  /// follows its own orders).
  bool submit_over_ws = false;
  /// Whether the run follows its orders to their ends.
  [[nodiscard]] bool follows() const { return subscribers > 0 || submit_over_ws; }
};

struct HostPort {
  std::string host, port, path;
  bool tls = false;
  std::string name;  // as the URL gave it: what a TLS certificate is checked for
};

/// The host, port and path of a loopback URL with this scheme or its TLS
/// one (http, https; ws, wss); nullopt, with `error` saying why, for
/// anything else: a load generator pointed at someone else's server is an
/// attack.
std::optional<HostPort> loopback_url(std::string_view text, std::string_view scheme, std::string& error);

struct Order {
  Clock::time_point due;        // when it should have been sent
  std::int64_t subscribed_ns = 0;  // wall clock when the subscribe was sent
  bool terminal = false;
};

class Follower;

struct Run {
  Options opt;
  HostPort core, ws;
  api::TlsContext tls;  // when either is TLS
  boost::asio::io_context ioc{1};
  Clock::time_point start, submit_end, last_terminal, last_answer;
  bool issuing_done = false;     // open loop: the ticker has issued its last order
  bool submitting_done = false;  // every submitter has had its last answer
  unsigned submitters_running = 0;
  boost::asio::steady_timer submitters_done{ioc};
  std::deque<Clock::time_point> due;  // open loop: orders due and not yet sent
  boost::asio::steady_timer due_signal{ioc};
  std::uint64_t issued = 0;  // orders handed to a connection
  std::uint64_t accepted = 0, rejected = 0, failed_requests = 0;
  std::uint64_t confirmed = 0, failed_orders = 0, ws_errors = 0;
  std::unordered_map<std::string, Order> orders;
  bool refusal_reported = false;  // a 401 or 403 to a submit, said once
  std::vector<std::shared_ptr<Follower>> followers;
  LatencyHistogram submit, to_terminal, append_to_receive;
  boost::asio::steady_timer finished{ioc};

  [[nodiscard]] std::uint64_t terminal_count() const { return confirmed + failed_orders; }
  void maybe_finish() {
    if (submitting_done && (!opt.follows() || terminal_count() >= accepted)) finished.cancel();
  }
};

/// Nanoseconds since the Unix epoch: the clock of the events' `ts`.
std::int64_t wall_ns();

}  // namespace oee::loadgen
