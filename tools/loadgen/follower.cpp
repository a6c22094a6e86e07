#include "tools/loadgen/follower.h"

#include <cstdio>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "api/tls/client_connect.h"
#include "core/engine/use_tuple.h"

namespace oee::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

Follower::Follower(Run& run) : run_(run), ws_(beast::tcp_stream(run.ioc)), wake_(run.ioc), answered_(run.ioc) {}

asio::awaitable<bool> Follower::connect() {
  if (co_await api::connect_client(ws_.next_layer(), run_.ws.host, run_.ws.port,
                                   run_.ws.tls ? run_.tls.get() : nullptr, run_.ws.name)) {
    co_return false;
  }
  const std::string host = run_.ws.host + ":" + run_.ws.port;
  // oee's own dialect, whose acknowledgements the follower waits for.
  ws_.set_option(websocket::stream_base::decorator([key = run_.opt.api_key](websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol, "oee.v1");
    if (!key.empty()) req.set(beast::http::field::authorization, "Bearer " + key);
  }));
  auto [hec] = co_await ws_.async_handshake(host, run_.ws.path, use_tuple);
  co_return !hec;
}

void Follower::start() {
  asio::co_spawn(run_.ioc, shared_from_this()->reader(), asio::detached);
  asio::co_spawn(run_.ioc, shared_from_this()->writer(), asio::detached);
}

void Follower::send(std::string text) {
  out_.push_back(std::move(text));
  wake_.cancel();
}

asio::awaitable<bool> Follower::submit(Clock::time_point due) {
  auto self = shared_from_this();
  if (gone_) co_return false;
  submitting_ = Submitting{std::to_string(++submits_), due, wall_ns(), false};
  send(R"({"type":"submit","requestId":")" + submitting_->request_id + R"(","order":)" + run_.opt.body + "}");
  while (!submitting_->answered && !gone_) {
    answered_.expires_at(Clock::time_point::max());
    co_await answered_.async_wait(use_tuple);
  }
  if (!submitting_->answered) ++run_.failed_requests;  // the socket closed before the answer
  const bool go_on = submitting_->answered && !submitting_->refused;
  submitting_.reset();
  co_return go_on;
}

void Follower::close() {
  closing_ = true;
  wake_.cancel();
}

asio::awaitable<void> Follower::writer() {
  auto self = shared_from_this();
  for (;;) {
    if (out_.empty()) {
      if (closing_) break;
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    std::string text = std::move(out_.front());
    out_.pop_front();
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text), use_tuple);
    if (ec) break;
  }
  if (ws_.is_open()) co_await ws_.async_close(websocket::close_code::normal, use_tuple);
}

asio::awaitable<void> Follower::reader() {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer, use_tuple);
    if (ec) break;
    const auto received_ns = wall_ns();
    const auto received = Clock::now();
    on_message(beast::buffers_to_string(buffer.data()), received_ns, received);
    buffer.consume(n);
  }
  gone_ = true;
  answered_.cancel();
}

void Follower::on_message(const std::string& text, std::int64_t received_ns, Clock::time_point received) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.get_object();
  if (const auto* type = o.if_contains("type")) {
    const auto* request = o.if_contains("requestId");
    // An error with no requestId while a submit waits is its answer too
    // (a message the server could not read, say a --body that is not JSON).
    if (submitting_ && !submitting_->answered &&
        (request != nullptr ? *request == submitting_->request_id.c_str() : *type == "error")) {
      on_answer(o, *type == "accepted", received);
      return;
    }
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
    // Today's client pattern over HTTP; a submit's subscription ends by
    // itself, but a failed order's stays for an operator's retry.
    if (!run_.opt.submit_over_ws || o.at("status") != "confirmed") send(R"({"type":"unsubscribe","orderId":")" + std::string(id->get_string()) + "\"}");
    run_.maybe_finish();
  }
}

// A submit's answer: accepted (its order is followed from here on, on this
// socket), or refused.
void Follower::on_answer(const json::object& answer, bool accepted, Clock::time_point received) {
  run_.last_answer = received;
  run_.submit.record(received - submitting_->due);
  const auto* id = answer.if_contains("orderId");
  if (!accepted || id == nullptr || !id->is_string()) {
    const auto* status = answer.if_contains("status");
    if (status != nullptr && (*status == 401 || *status == 403)) {
      ++run_.failed_requests;
      submitting_->refused = true;
      if (!std::exchange(run_.refusal_reported, true)) {
        std::fprintf(stderr, "oee-loadgen: the server refused the submit: %s\n  give an API key with orders:write: "
                     "--api-key or OEE_API_KEY\n", json::serialize(answer).c_str());
      }
    } else {
      ++run_.rejected;
    }
  } else {
    ++run_.accepted;
    Order& o = run_.orders[std::string(id->get_string())];
    o.due = submitting_->due;
    o.subscribed_ns = submitting_->sent_ns;
  }
  submitting_->answered = true;
  answered_.cancel();
}

}  // namespace oee::loadgen
