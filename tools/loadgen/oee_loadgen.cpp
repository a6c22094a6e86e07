// oee-loadgen: drives an oee core over keep-alive HTTP and follows each
// order over WebSocket (on the core or a gateway), reporting submit,
// submit→terminal and append→WebSocket-receive latencies.
//
// Open loop (--rate): orders are due at fixed intervals and latency counts
// from when each was due, so a stalled server cannot hide its queueing
// (no coordinated omission). Closed loop (--connections without --rate):
// each connection submits its next order when the previous one is answered.
// One thread: the generator should take as little CPU from the server as
// it can on a shared machine.

#include <sys/resource.h>

#include <charconv>
#include <cstdio>
#include <deque>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "tools/loadgen/latency_histogram.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using oee::loadgen::LatencyHistogram;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::string target = "http://127.0.0.1:3000";
  std::string ws_url;  // default: the target's /ws
  double rate = 0;     // orders/s; 0: closed loop
  unsigned connections = 16;
  unsigned subscribers = 0;  // 0: do not follow orders
  std::uint64_t orders = 10'000;
  double duration = 60;  // seconds of submitting, at most
  double drain = 30;     // seconds to wait for terminal statuses after the last submit
  std::string body = R"({"inputToken":"SOL","outputToken":"USDC","amount":"1","slippage":0.05})";
  bool json_output = false;
};

struct HostPort {
  std::string host, port, path;
};

// Loopback only: a load generator pointed at someone else's server is an attack.
std::optional<HostPort> loopback_url(std::string_view text, std::string_view scheme, std::string& error) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != scheme) {
    error = std::string("expected a ") + std::string(scheme) + ":// URL, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  HostPort hp{std::string(url->host_address()), url->has_port() ? std::string(url->port()) : "80",
              url->encoded_path().empty() ? "/" : std::string(url->encoded_path())};
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(hp.host == "localhost" ? "127.0.0.1" : hp.host, ec);
  if (ec || !address.is_loopback()) {
    error = "only loopback targets are allowed (127.0.0.0/8, ::1, localhost), not '" + hp.host + "'";
    return std::nullopt;
  }
  if (hp.host == "localhost") hp.host = "127.0.0.1";
  return hp;
}

struct Order {
  Clock::time_point due;        // when it should have been sent
  std::int64_t subscribed_ns = 0;  // wall clock when the subscribe was sent
  bool terminal = false;
};

class Follower;

struct Run {
  Options opt;
  HostPort core, ws;
  asio::io_context ioc{1};
  Clock::time_point start, submit_end, last_terminal, last_answer;
  bool issuing_done = false;     // open loop: the ticker has issued its last order
  bool submitting_done = false;  // every submitter has had its last answer
  unsigned submitters_running = 0;
  asio::steady_timer submitters_done{ioc};
  std::deque<Clock::time_point> due;  // open loop: orders due and not yet sent
  asio::steady_timer due_signal{ioc};
  std::uint64_t issued = 0;  // orders handed to a connection
  std::uint64_t accepted = 0, rejected = 0, failed_requests = 0;
  std::uint64_t confirmed = 0, failed_orders = 0, ws_errors = 0;
  std::unordered_map<std::string, Order> orders;
  std::vector<std::shared_ptr<Follower>> followers;
  LatencyHistogram submit, to_terminal, append_to_receive;
  asio::steady_timer finished{ioc};

  [[nodiscard]] std::uint64_t terminal_count() const { return confirmed + failed_orders; }
  void maybe_finish() {
    if (submitting_done && (opt.subscribers == 0 || terminal_count() >= accepted)) finished.cancel();
  }
};

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One WebSocket connection following many orders.
class Follower : public std::enable_shared_from_this<Follower> {
 public:
  Follower(Run& run) : run_(run), ws_(run.ioc), wake_(run.ioc) {}

  asio::awaitable<bool> connect() {
    tcp::resolver resolver(run_.ioc);
    auto [rec, endpoints] = co_await resolver.async_resolve(run_.ws.host, run_.ws.port, kTuple);
    if (rec) co_return false;
    auto [cec, ep] = co_await beast::get_lowest_layer(ws_).async_connect(endpoints, kTuple);
    if (cec) co_return false;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    const std::string host = run_.ws.host + ":" + run_.ws.port;
    auto [hec] = co_await ws_.async_handshake(host, run_.ws.path, kTuple);
    co_return !hec;
  }

  void start() {
    asio::co_spawn(run_.ioc, shared_from_this()->reader(), asio::detached);
    asio::co_spawn(run_.ioc, shared_from_this()->writer(), asio::detached);
  }

  void send(std::string text) {
    out_.push_back(std::move(text));
    wake_.cancel();
  }

  void close() {
    closing_ = true;
    wake_.cancel();
  }

 private:
  asio::awaitable<void> writer() {
    auto self = shared_from_this();
    for (;;) {
      if (out_.empty()) {
        if (closing_) break;
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(kTuple);
        continue;
      }
      std::string text = std::move(out_.front());
      out_.pop_front();
      auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kTuple);
      if (ec) break;
    }
    if (ws_.is_open()) co_await ws_.async_close(websocket::close_code::normal, kTuple);
  }

  asio::awaitable<void> reader() {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
      if (ec) break;
      const auto received_ns = wall_ns();
      const auto received = Clock::now();
      on_message(beast::buffers_to_string(buffer.data()), received_ns, received);
      buffer.consume(n);
    }
  }

  void on_message(const std::string& text, std::int64_t received_ns, Clock::time_point received) {
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.get_object();
    if (const auto* type = o.if_contains("type")) {
      if (*type == "error") ++run_.ws_errors;
      return;
    }
    const auto* id = o.if_contains("orderId");
    const auto* ts = o.if_contains("ts");
    if (id == nullptr || !id->is_string() || ts == nullptr || !ts->is_number()) return;
    auto it = run_.orders.find(std::string(id->get_string()));
    if (it == run_.orders.end() || it->second.terminal) return;
    const auto appended_ns = ts->to_number<std::int64_t>();
    // Only events appended after we asked to follow the order are live;
    // earlier ones come from the catch-up and would measure our own delay.
    if (appended_ns >= it->second.subscribed_ns) {
      run_.append_to_receive.record(std::chrono::nanoseconds(received_ns - appended_ns));
    }
    if (o.contains("terminal")) {
      it->second.terminal = true;
      run_.to_terminal.record(received - it->second.due);
      run_.last_terminal = received;
      if (o.at("status") == "confirmed") {
        ++run_.confirmed;
      } else {
        ++run_.failed_orders;
      }
      send(R"({"type":"unsubscribe","orderId":")" + std::string(id->get_string()) + "\"}");
      run_.maybe_finish();
    }
  }

  Run& run_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  std::deque<std::string> out_;
  bool closing_ = false;
};

// The next order this connection should send; nullopt when done.
asio::awaitable<std::optional<Clock::time_point>> next_order(Run& run) {
  for (;;) {
    if (run.opt.rate <= 0) {
      if (run.issued >= run.opt.orders || Clock::now() >= run.submit_end) co_return std::nullopt;
      ++run.issued;
      co_return Clock::now();
    }
    if (!run.due.empty()) {
      const auto t = run.due.front();
      run.due.pop_front();
      co_return t;
    }
    // Orders already due when time is up are still sent (an overloaded
    // server shows up as their latency); then the submitters stop.
    if (run.issuing_done) co_return std::nullopt;
    run.due_signal.expires_at(Clock::time_point::max());
    co_await run.due_signal.async_wait(kTuple);
  }
}

// Open loop: an order falls due every 1/rate seconds.
asio::awaitable<void> ticker(Run& run) {
  asio::steady_timer timer(run.ioc);
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / run.opt.rate));
  auto next = run.start;
  while (run.issued < run.opt.orders && next < run.submit_end) {
    timer.expires_at(next);
    co_await timer.async_wait(kTuple);
    // Catch up in a burst if the timer fired late: arrivals stay on schedule.
    for (const auto now = Clock::now(); next <= now && run.issued < run.opt.orders; next += interval) {
      run.due.push_back(next);
      ++run.issued;
    }
    run.due_signal.cancel();
  }
  run.issuing_done = true;
  run.due_signal.cancel();
}

asio::awaitable<void> submitter(Run& run) {
  beast::tcp_stream stream(run.ioc);
  tcp::resolver resolver(run.ioc);
  auto [rec, endpoints] = co_await resolver.async_resolve(run.core.host, run.core.port, kTuple);
  if (rec) {
    ++run.failed_requests;
    co_return;
  }
  auto [cec, ep] = co_await stream.async_connect(endpoints, kTuple);
  if (cec) {
    ++run.failed_requests;
    std::fprintf(stderr, "oee-loadgen: cannot connect to %s:%s: %s\n", run.core.host.c_str(), run.core.port.c_str(),
                 cec.message().c_str());
    co_return;
  }
  stream.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  http::request<http::string_body> req{http::verb::post, "/api/orders/execute", 11};
  req.set(http::field::host, run.core.host);
  req.set(http::field::content_type, "application/json");
  req.body() = run.opt.body;
  req.prepare_payload();
  for (;;) {
    auto due = co_await next_order(run);
    if (!due) break;
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    if (wec) {
      ++run.failed_requests;
      break;
    }
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(stream, buffer, res, kTuple);
    const auto answered = Clock::now();
    run.last_answer = answered;
    if (ec) {
      ++run.failed_requests;
      break;
    }
    run.submit.record(answered - *due);
    if (res.result_int() != 202) {
      ++run.rejected;
      continue;
    }
    ++run.accepted;
    boost::system::error_code jec;
    const json::value body = json::parse(res.body(), jec);
    const auto* id = !jec && body.is_object() ? body.get_object().if_contains("orderId") : nullptr;
    if (id == nullptr || !id->is_string()) continue;
    std::string order(id->get_string());
    Order& o = run.orders[order];
    o.due = *due;
    if (!run.followers.empty()) {
      o.subscribed_ns = wall_ns();
      run.followers[(run.accepted - 1) % run.followers.size()]->send(R"({"type":"subscribe","orderId":")" + order +
                                                                      "\"}");
    }
  }
}

// Runs when a submitter has ended, however it ended.
void submitter_finished(Run& run) {
  if (--run.submitters_running > 0) return;
  run.submitting_done = true;
  run.submitters_done.cancel();
}

asio::awaitable<void> run_all(Run& run) {
  for (unsigned i = 0; i < run.opt.subscribers; ++i) {
    auto f = std::make_shared<Follower>(run);
    const bool ok = co_await f->connect();
    if (!ok) {
      std::fprintf(stderr, "oee-loadgen: WebSocket %u of %u could not connect to %s:%s%s\n", i + 1,
                   run.opt.subscribers, run.ws.host.c_str(), run.ws.port.c_str(), run.ws.path.c_str());
      std::exit(1);
    }
    f->start();
    run.followers.push_back(std::move(f));
  }
  run.start = Clock::now();
  run.submit_end = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.opt.duration));
  if (run.opt.rate > 0) asio::co_spawn(run.ioc, ticker(run), asio::detached);
  run.submitters_running = run.opt.connections;
  for (unsigned i = 0; i < run.opt.connections; ++i) {
    asio::co_spawn(run.ioc, submitter(run), [&run](std::exception_ptr) { submitter_finished(run); });
  }

  // Wait for the submitters (each ends after its last answer), then for
  // terminal statuses (bounded).
  while (!run.submitting_done) {
    run.submitters_done.expires_at(Clock::time_point::max());
    co_await run.submitters_done.async_wait(kTuple);
  }
  run.finished.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.opt.drain)));
  run.maybe_finish();
  if (!(run.opt.subscribers == 0 || run.terminal_count() >= run.accepted)) co_await run.finished.async_wait(kTuple);
  for (auto& f : run.followers) f->close();
  run.ioc.stop();
}

json::object summary(const LatencyHistogram& h) {
  auto ms = [](std::chrono::nanoseconds d) { return std::round(static_cast<double>(d.count()) / 1e3) / 1e3; };
  return json::object{{"count", h.count()},         {"p50", ms(h.quantile(0.5))},   {"p90", ms(h.quantile(0.9))},
                      {"p99", ms(h.quantile(0.99))}, {"p999", ms(h.quantile(0.999))}, {"max", ms(h.max())}};
}

void print_row(const char* name, const LatencyHistogram& h) {
  auto ms = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; };
  if (h.count() == 0) {
    std::printf("%-24s %10s\n", name, "-");
    return;
  }
  std::printf("%-24s %10llu %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, static_cast<unsigned long long>(h.count()),
              ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
}

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
      "oee-loadgen: submits orders to an oee core over keep-alive HTTP and follows them over WebSocket, then "
      "reports submit, submit->terminal and append->WebSocket-receive latency (p50/p90/p99/p99.9/max) and "
      "throughput. Loopback targets only."};
  Options opt;
  cli.add_option("--target", opt.target, "The core's base URL (orders are POSTed here)")->capture_default_str();
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
  cli.add_flag("--json", opt.json_output, "Print one JSON object instead of the table");
  CLI11_PARSE(cli, argc, argv);

  Run run;
  run.opt = opt;
  std::string error;
  auto core = loopback_url(opt.target, "http", error);
  if (!core) {
    std::fprintf(stderr, "oee-loadgen: --target: %s\n", error.c_str());
    return 2;
  }
  run.core = *core;
  const std::string ws_text = opt.ws_url.empty() ? "ws://" + core->host + ":" + core->port + "/ws" : opt.ws_url;
  auto ws = loopback_url(ws_text, "ws", error);
  if (!ws) {
    std::fprintf(stderr, "oee-loadgen: --ws-url: %s\n", error.c_str());
    return 2;
  }
  run.ws = *ws;
  raise_fd_limit();

  asio::co_spawn(run.ioc, run_all(run), asio::detached);
  run.ioc.run();

  // From the first order due to the last answer: an overloaded server that
  // answers the backlog late is not credited with the offered rate.
  const double seconds =
      run.last_answer > run.start ? std::chrono::duration<double>(run.last_answer - run.start).count() : 0;
  const double throughput = seconds > 0 ? static_cast<double>(run.accepted) / seconds : 0;
  const std::uint64_t unfinished = opt.subscribers == 0 ? 0 : run.accepted - std::min(run.accepted, run.terminal_count());
  // Orders that reached a terminal status per second, first submit to last terminal.
  const double terminal_seconds = std::chrono::duration<double>(run.last_terminal - run.start).count();
  const double terminal_rate = run.terminal_count() > 0 && terminal_seconds > 0
                                   ? static_cast<double>(run.terminal_count()) / terminal_seconds
                                   : 0;
  if (opt.json_output) {
    json::object out{{"mode", opt.rate > 0 ? "open" : "closed"},
                     {"rate", opt.rate},
                     {"connections", opt.connections},
                     {"subscribers", opt.subscribers},
                     {"seconds", seconds},
                     {"accepted", run.accepted},
                     {"acceptedPerSecond", std::round(throughput)},
                     {"rejected", run.rejected},
                     {"requestErrors", run.failed_requests},
                     {"confirmed", run.confirmed},
                     {"failed", run.failed_orders},
                     {"unfinished", unfinished},
                     {"terminalPerSecond", std::round(terminal_rate)},
                     {"wsErrors", run.ws_errors},
                     {"submitMs", summary(run.submit)},
                     {"submitToTerminalMs", summary(run.to_terminal)},
                     {"appendToReceiveMs", summary(run.append_to_receive)}};
    std::printf("%s\n", json::serialize(out).c_str());
  } else {
    std::printf("%s loop, %u connections, %u subscribers: %llu accepted in %.2f s = %.0f orders/s; %llu rejected, "
                "%llu request errors\n",
                opt.rate > 0 ? "open" : "closed", opt.connections, opt.subscribers,
                static_cast<unsigned long long>(run.accepted), seconds, throughput,
                static_cast<unsigned long long>(run.rejected), static_cast<unsigned long long>(run.failed_requests));
    if (opt.subscribers > 0) {
      std::printf("terminal: %llu confirmed, %llu failed, %llu unfinished (%.0f terminal/s); %llu stream errors\n",
                  static_cast<unsigned long long>(run.confirmed), static_cast<unsigned long long>(run.failed_orders),
                  static_cast<unsigned long long>(unfinished), terminal_rate,
                  static_cast<unsigned long long>(run.ws_errors));
    }
    std::printf("%-24s %10s %9s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max");
    print_row("submit", run.submit);
    print_row("submit -> terminal", run.to_terminal);
    print_row("append -> ws receive", run.append_to_receive);
  }
  return run.failed_requests > 0 || unfinished > 0 ? 1 : 0;
}
