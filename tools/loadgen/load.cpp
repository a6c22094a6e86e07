#include "tools/loadgen/load.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/tls/client_connect.h"
#include "core/engine/use_tuple.h"
#include "tools/loadgen/follower.h"

namespace oee::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

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
    co_await run.due_signal.async_wait(use_tuple);
  }
}

// Open loop: an order falls due every 1/rate seconds.
asio::awaitable<void> ticker(Run& run) {
  asio::steady_timer timer(run.ioc);
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / run.opt.rate));
  auto next = run.start;
  while (run.issued < run.opt.orders && next < run.submit_end) {
    timer.expires_at(next);
    co_await timer.async_wait(use_tuple);
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
  api::Transport stream(beast::tcp_stream(run.ioc));
  {
    const auto failed = co_await api::connect_client(stream, run.core.host, run.core.port,
                                                     run.core.tls ? run.tls.get() : nullptr, run.core.name);
    if (failed) {
      ++run.failed_requests;
      std::fprintf(stderr, "oee-loadgen: %s\n", failed->describe(run.core.host, run.core.port).c_str());
      co_return;
    }
  }
  beast::flat_buffer buffer;
  http::request<http::string_body> req{http::verb::post, "/api/orders/execute", 11};
  req.set(http::field::host, run.core.host);
  req.set(http::field::content_type, "application/json");
  if (!run.opt.api_key.empty()) req.set(http::field::authorization, "Bearer " + run.opt.api_key);
  req.body() = run.opt.body;
  req.prepare_payload();
  for (;;) {
    auto due = co_await next_order(run);
    if (!due) break;
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
      ++run.failed_requests;
      break;
    }
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(stream, buffer, res, use_tuple);
    const auto answered = Clock::now();
    run.last_answer = answered;
    if (ec) {
      ++run.failed_requests;
      break;
    }
    run.submit.record(answered - *due);
    if (res.result_int() == 401 || res.result_int() == 403) {
      // No key, or the wrong one: every further submit would be refused too.
      ++run.failed_requests;
      if (!std::exchange(run.refusal_reported, true)) {
        std::fprintf(stderr, "oee-loadgen: the server refused the submit (%u): %s\n  give an API key with "
                     "orders:write: --api-key or OEE_API_KEY\n", res.result_int(), res.body().c_str());
      }
      break;
    }
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

// --submit-over ws: one socket submits its orders one at a time and
// follows each on itself.
// (`socket` by reference: [gcc12-coro]; run.followers holds it.)
asio::awaitable<void> ws_submitter(Run& run, Follower& socket) {
  for (;;) {
    auto due = co_await next_order(run);
    if (!due) break;
    const bool go_on = co_await socket.submit(*due);
    if (!go_on) break;
  }
}

// Runs when a submitter has ended, however it ended.
void submitter_finished(Run& run) {
  if (--run.submitters_running > 0) return;
  run.submitting_done = true;
  run.submitters_done.cancel();
}

}  // namespace

asio::awaitable<void> run_all(Run& run) {
  const unsigned sockets = run.opt.submit_over_ws ? run.opt.connections : run.opt.subscribers;
  for (unsigned i = 0; i < sockets; ++i) {
    auto f = std::make_shared<Follower>(run);
    const bool ok = co_await f->connect();
    if (!ok) {
      std::fprintf(stderr, "oee-loadgen: WebSocket %u of %u could not connect to %s:%s%s\n", i + 1, sockets,
                   run.ws.host.c_str(), run.ws.port.c_str(), run.ws.path.c_str());
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
    const auto done = [&run](std::exception_ptr) { submitter_finished(run); };
    if (run.opt.submit_over_ws) {
      asio::co_spawn(run.ioc, ws_submitter(run, *run.followers[i]), done);
    } else {
      asio::co_spawn(run.ioc, submitter(run), done);
    }
  }

  // Wait for the submitters (each ends after its last answer), then for
  // terminal statuses (bounded).
  while (!run.submitting_done) {
    run.submitters_done.expires_at(Clock::time_point::max());
    co_await run.submitters_done.async_wait(use_tuple);
  }
  run.finished.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.opt.drain)));
  run.maybe_finish();
  if (run.opt.follows() && run.terminal_count() < run.accepted) co_await run.finished.async_wait(use_tuple);
  for (auto& f : run.followers) f->close();
  run.ioc.stop();
}


}  // namespace oee::loadgen
