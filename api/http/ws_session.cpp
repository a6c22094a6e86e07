#include "api/http/ws_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "api/http/detail/ws_session_impl.h"
#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace detail {

WsSession::WsSession(Transport&& stream, ConnectionSlot slot, ServerContext& ctx, WsProtocol protocol,
                     http::request<http::string_body> upgrade_request, Principal principal)
    : ws_(std::move(stream)),
      slot_(std::move(slot)),
      ctx_(ctx),
      protocol_(protocol),
      principal_(std::move(principal)),
      upgrade_request_(std::move(upgrade_request)),
      wake_(ws_.get_executor()),
      expiry_(ws_.get_executor()) {}

WsSession::~WsSession() {
  for (const auto& [order, _] : subs_) ctx_.stream.hub().unsubscribe(order, this);
  if (all_.on) ctx_.stream.hub().unsubscribe_all(this);
}

asio::awaitable<void> WsSession::run(const OrderId* fixed, std::uint64_t from_seq) {
  const auto req = std::move(upgrade_request_);
  beast::get_lowest_layer(ws_).expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = ctx_.config.ws_idle_timeout;
  timeouts.keep_alive_pings = true;  // idle clients are pinged; one that never answers is closed
  ws_.set_option(timeouts);
  dialect_ = ws_dialect(req[http::field::sec_websocket_protocol]);
  ws_.set_option(websocket::stream_base::decorator([v1 = dialect_ == WsDialect::v1](websocket::response_type& res) {
    res.set(http::field::server, "oee");
    if (v1) res.set(http::field::sec_websocket_protocol, kV1Subprotocol);
  }));
  ws_.read_message_max(ctx_.config.ws_message_limit);
  slot_.on_close(ws_.get_executor(), weak_from_this(), [](WsSession& self, ServerContext::Closing how) {
    if (how == ServerContext::Closing::cut) {
      beast::get_lowest_layer(self.ws_).close();
    } else if (how == ServerContext::Closing::revoked) {
      self.close_for_policy("the API key has been revoked");
    } else {
      self.close_going_away();
    }
  });
  // The slot is held by the key already (the upgrade counted it).
  if (principal_.kind == Principal::Kind::key && principal_.expires_at) close_at_expiry(*principal_.expires_at);
  auto [ec] = co_await ws_.async_accept(req, use_tuple);
  if (ec) co_return;
  // However the reader ends, the writer is told to finish and close.
  ctx_.ws_clients.fetch_add(1);
  struct ReaderDone {
    WsSession& self;
    ~ReaderDone() {
      self.closing_ = true;
      self.wake_.cancel();
      self.expiry_.cancel();
      self.ctx_.ws_clients.fetch_sub(1);
    }
  } reader_done{*this};
  asio::co_spawn(ws_.get_executor(), shared_from_this()->writer(), asio::detached);
  if (fixed != nullptr) subscribe(*fixed, from_seq);

  beast::flat_buffer buffer;
  for (;;) {
    auto [rec, n] = co_await ws_.async_read(buffer, use_tuple);
    if (rec) break;
    const std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(n);
    try {
      on_message(text);
    } catch (const std::exception& e) {
      // A bug, not the client's fault: say so, and keep the session.
      ctx_.session_errors.fetch_add(1);
      spdlog::error("WebSocket message handling failed: {}", e.what());
      send_error(ApiError{500, "internal_error", "the message could not be handled", ""});
    }
    if (closing_) break;
  }
}

// The server is stopping: what is queued is dropped, the writer sends
// the close frame, and the reader ends with the client's answer to it.
void WsSession::close_going_away() {
  if (close_code_ != websocket::close_code::none) return;
  close_code_ = websocket::close_code::going_away;
  close_reason_ = "the server is shutting down";
  closing_ = true;
  queue_.clear();
  wake_.cancel();
}

// The key the socket was opened with stops working: what is queued is
// dropped and the client learns why (1008).
void WsSession::close_for_policy(std::string reason) {
  if (close_code_ != websocket::close_code::none) return;
  close_code_ = websocket::close_code::policy_error;
  close_reason_ = std::move(reason);
  closing_ = true;
  queue_.clear();
  wake_.cancel();
  arm_hard_close();
}

void WsSession::close_at_expiry(TimestampNs expires_at) {
  expiry_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, expires_at.value - TimestampNs::now().value)));
  expiry_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;  // the session ended first
    if (const auto self = weak.lock()) self->close_for_policy("the API key has expired");
  });
}

void WsSession::enqueue(std::shared_ptr<const std::string> text, bool terminal) {
  if (closing_) return;
  if (queue_.size() >= ctx_.config.ws_queue_limit) {
    // A reader this far behind would make us buffer without bound: drop it.
    queue_.clear();
    close_code_ = websocket::close_code::policy_error;
    close_reason_ = "slow consumer: too many undelivered messages";
    ctx_.ws_dropped_slow.fetch_add(1);
    closing_ = true;
    wake_.cancel();
    arm_hard_close();
    return;
  }
  queue_.push_back(Outgoing{std::move(text), terminal && protocol_ == WsProtocol::fixed});
  wake_.cancel();
}

// If the writer is stuck on a client that reads nothing, the close frame
// can't be sent either: cut the TCP connection after a grace period.
void WsSession::arm_hard_close() {
  auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), 5s);
  timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code&) {
    if (!self->writer_done_) beast::get_lowest_layer(self->ws_).close();
  });
}

asio::awaitable<void> WsSession::writer() {
  auto self = shared_from_this();
  for (;;) {
    if (queue_.empty()) {
      cork(false);
      if (closing_) break;
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    Outgoing out = std::move(queue_.front());
    queue_.pop_front();
    if (!catch_up_line_.empty()) pump_catch_ups();
    if (!all_.backlog.empty()) pump_all_backlog();
    if (!queue_.empty()) cork(true);
    ws_.text(true);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(*out.text), use_tuple);
    if (ec) {
      closing_ = true;
      break;
    }
    if (out.close_after) {
      close_code_ = websocket::close_code::normal;
      close_reason_ = "order reached a terminal status";
      closing_ = true;
      queue_.clear();
      break;
    }
  }
  cork(false);
  if (close_code_ != websocket::close_code::none) {
    const websocket::close_reason reason(close_code_, close_reason_);
    co_await ws_.async_close(reason, use_tuple);
  } else if (ws_.is_open()) {
    co_await ws_.async_close(websocket::close_code::going_away, use_tuple);
  }
  writer_done_ = true;
}

// One commit often carries several updates for the orders one client
// follows. While more are queued, the socket is corked so their frames
// leave in one TCP segment instead of one each; uncorking when the queue
// runs dry sends at once, so nothing waits on the cork's timer.
void WsSession::cork(bool on) {
  if (corked_ == on) return;
  corked_ = on;
  const int value = on ? 1 : 0;
  ::setsockopt(beast::get_lowest_layer(ws_).socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

}  // namespace detail

asio::awaitable<void> serve_websocket(Transport stream, ConnectionSlot slot, ServerContext& ctx,
                                      std::unique_ptr<http::request<http::string_body>> upgrade, WsProtocol protocol,
                                      std::optional<OrderId> fixed, std::uint64_t from_seq, Principal principal) {
  auto ws = std::make_shared<detail::WsSession>(std::move(stream), std::move(slot), ctx, protocol, std::move(*upgrade),
                                                std::move(principal));
  co_await ws->run(fixed ? &*fixed : nullptr, from_seq);
}

}  // namespace oee::api
