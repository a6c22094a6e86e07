#include "api/http/ws_session.h"

#include <deque>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/http/ws_command.h"
#include "core/engine/use_tuple.h"
#include "core/wire/compat_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// One WebSocket client. Runs on its connection's strand; the hub and the
// stream source reach it only through posts there.
//
// Per order it keeps the last seq sent. A subscription registers with the
// hub first and then asks the source for the past; live updates that
// arrive meanwhile are held and merged by seq after the past, so nothing is
// lost or repeated across the catch-up/live boundary, whether the past
// comes from the local log or over HTTP from the core.
class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream&& stream, ConnectionSlot slot, ServerContext& ctx, WsProtocol protocol)
      : ws_(std::move(stream)), slot_(std::move(slot)), ctx_(ctx), protocol_(protocol), wake_(ws_.get_executor()) {}

  ~WsSession() override {
    for (const auto& [order, _] : subs_) ctx_.stream.hub().unsubscribe(order, this);
  }

  void deliver(std::shared_ptr<const StatusUpdate> update) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), update = std::move(update)] { self->on_update(update); });
  }

  void resync(const OrderId& order) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), order] {
      auto it = self->subs_.find(order);
      if (it == self->subs_.end()) return;
      if (it->second.catching_up) {
        it->second.resync_pending = true;
      } else {
        self->start_catch_up(order, it->second);
      }
    });
  }

  // Parameters are trivially copyable, the request a member: [gcc12-coro].
  asio::awaitable<void> run(const OrderId* fixed, std::uint64_t from_seq) {
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
      } else {
        self.close_going_away();
      }
    });
    auto [ec] = co_await ws_.async_accept(req, use_tuple);
    if (ec) co_return;
    // However the reader ends, the writer is told to finish and close.
    ctx_.ws_clients.fetch_add(1);
    struct ReaderDone {
      WsSession& self;
      ~ReaderDone() {
        self.closing_ = true;
        self.wake_.cancel();
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

 private:
  struct Subscription {
    Seq last{0};                 // highest seq sent to the client
    std::uint64_t from_seq = 0;  // as asked, echoed in "subscribed"
    bool confirmed = false;      // "subscribed" sent
    bool catching_up = false;
    bool resync_pending = false;  // a gap was reported during a catch-up
    bool in_line = false;         // waiting in catch_up_line_ (once, however often it is asked for)
    std::uint64_t generation = 0;
    std::vector<std::shared_ptr<const StatusUpdate>> held;  // live updates during a catch-up
  };

  // The server is stopping: what is queued is dropped, the writer sends
  // the close frame, and the reader ends with the client's answer to it.
  void close_going_away() {
    if (close_code_ != websocket::close_code::none) return;
    close_code_ = websocket::close_code::going_away;
    close_reason_ = "the server is shutting down";
    closing_ = true;
    queue_.clear();
    wake_.cancel();
  }

  void on_message(const std::string& text) {
    auto command = parse_ws_command(text, protocol_ == WsProtocol::bare_id);
    if (!command) {
      send_error(command.error());
      return;
    }
    switch (command->kind) {
      case WsCommand::Kind::ping:
        send_control("pong");
        return;
      case WsCommand::Kind::unsubscribe:
        ctx_.stream.hub().unsubscribe(command->order, this);
        subs_.erase(command->order);
        send_control("unsubscribed", json::object{{"orderId", command->order.str()}});
        return;
      case WsCommand::Kind::subscribe:
        subscribe(command->order, command->from_seq);
        return;
    }
  }

  void subscribe(const OrderId& id, std::uint64_t from_seq) {
    auto it = subs_.find(id);
    if (it == subs_.end()) {
      if (subs_.size() >= ctx_.config.ws_subscriptions_limit) {
        send_error(ApiError{400, "too_many_subscriptions", "unsubscribe from finished orders first", ""}, id.str());
        return;
      }
      ctx_.stream.hub().subscribe(id, shared_from_this());
      it = subs_.emplace(id, Subscription{}).first;
    }
    // A repeated subscribe restarts the stream from its own fromSeq.
    Subscription& sub = it->second;
    sub.last = Seq{from_seq == 0 ? 0 : from_seq - 1};
    sub.from_seq = from_seq;
    sub.confirmed = false;
    sub.held.clear();
    start_catch_up(id, sub);
  }

  // A subscription's past is read as the socket drains: a burst of
  // subscriptions (a client following a thousand finished orders at once)
  // would otherwise put every order's past in the outgoing queue together
  // and be dropped as a slow consumer however fast it reads. So catch-ups
  // wait in line, a few at a time, until the queue has room for them.
  void start_catch_up(const OrderId& id, Subscription& sub) {
    sub.catching_up = true;
    sub.resync_pending = false;
    ++sub.generation;
    if (!sub.in_line) {
      sub.in_line = true;
      catch_up_line_.push_back(id);
    }
    pump_catch_ups();
  }

  void pump_catch_ups() {
    if (closing_) return;
    while (catch_ups_running_ < kConcurrentCatchUps && queue_.size() < catch_up_room() && !catch_up_line_.empty()) {
      const OrderId id = catch_up_line_.front();
      catch_up_line_.pop_front();
      auto it = subs_.find(id);
      if (it == subs_.end() || !it->second.in_line) continue;  // unsubscribed since
      it->second.in_line = false;
      const std::uint64_t generation = it->second.generation;
      ++catch_ups_running_;
      ctx_.stream.catch_up(id, Seq{it->second.last.value + 1},
                           [self = shared_from_this(), id, generation](CatchUp result) {
                             asio::post(self->ws_.get_executor(),
                                        [self, id, generation, result = std::move(result)]() mutable {
                                          --self->catch_ups_running_;
                                          self->on_catch_up(id, generation, std::move(result));
                                          self->pump_catch_ups();
                                        });
                           });
    }
  }

  // Catch-ups start while the outgoing queue is below a quarter of the
  // slow-consumer limit, which leaves room for every order's past and the
  // live updates that arrive meanwhile.
  std::size_t catch_up_room() const { return std::max<std::size_t>(1, ctx_.config.ws_queue_limit / 4); }
  static constexpr int kConcurrentCatchUps = 4;

  void on_catch_up(const OrderId& id, std::uint64_t generation, CatchUp result) {
    auto it = subs_.find(id);
    if (it == subs_.end() || it->second.generation != generation || closing_) return;
    Subscription& sub = it->second;
    if (result.outcome != CatchUp::Outcome::ok) {
      if (sub.confirmed) {
        // A resync after a gap failed (the core is unreachable): keep the
        // subscription and try again shortly; live updates are held meanwhile.
        auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), 1s);
        timer->async_wait([self = shared_from_this(), timer, id, generation](const boost::system::error_code&) {
          auto again = self->subs_.find(id);
          if (again != self->subs_.end() && again->second.generation == generation && !self->closing_) {
            self->start_catch_up(id, again->second);
          }
        });
        return;
      }
      const bool missing = result.outcome == CatchUp::Outcome::not_found;
      ctx_.stream.hub().unsubscribe(id, this);
      subs_.erase(it);
      send_error(ApiError{missing ? 404 : 503, std::string(missing ? "not_found" : ctx_.stream.unavailable_code()),
                          result.error, "orderId"},
                 id.str());
      if (protocol_ == WsProtocol::fixed) closing_ = true;
      return;
    }
    if (!sub.confirmed) {
      sub.confirmed = true;
      send_control("subscribed", json::object{{"orderId", id.str()}, {"fromSeq", sub.from_seq}});
    }
    for (const auto& u : result.updates) send_if_new(sub, u);
    for (const auto& u : sub.held) send_if_new(sub, u);
    sub.held.clear();
    sub.catching_up = false;
    if (sub.resync_pending) start_catch_up(id, sub);
  }

  void on_update(const std::shared_ptr<const StatusUpdate>& u) {
    auto it = subs_.find(u->order);
    if (it == subs_.end()) return;
    Subscription& sub = it->second;
    if (sub.catching_up) {
      // Bounded: past the limit, drop the held ones and fetch them again.
      if (sub.held.size() < ctx_.config.ws_queue_limit) {
        sub.held.push_back(u);
      } else {
        sub.held.clear();
        sub.resync_pending = true;
      }
      return;
    }
    send_if_new(sub, u);
  }

  void send_if_new(Subscription& sub, const std::shared_ptr<const StatusUpdate>& u) {
    if (u->seq <= sub.last) return;
    sub.last = u->seq;
    const std::string& text = dialect_ == WsDialect::compat ? u->compat_text() : u->text;
    if (text.empty()) return;  // not carried by this dialect
    enqueue(std::shared_ptr<const std::string>(u, &text), u->terminal);
  }

  // The compat dialect has status messages only: no acks, no pongs.
  void send_control(std::string_view type, const json::object& fields = {}) {
    if (dialect_ == WsDialect::compat) return;
    json::object message{{"type", type}};
    for (const auto& kv : fields) message[kv.key()] = kv.value();
    enqueue(std::make_shared<const std::string>(json::serialize(message)), false);
  }

  // `order`: the order the error is about, which a compat error names.
  void send_error(const ApiError& e, std::string_view order = {}) {
    if (dialect_ == WsDialect::compat) {
      enqueue(std::make_shared<const std::string>(core::compat_error(order, e.code, e.message, e.field)), false);
      return;
    }
    send_control("error", json::object{{"error", json::object{{"code", e.code},
                                                              {"message", e.message},
                                                              {"field", e.field.empty() ? json::value(nullptr)
                                                                                        : json::value(e.field)}}}});
  }

  void enqueue(std::shared_ptr<const std::string> text, bool terminal) {
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
  void arm_hard_close() {
    auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), 5s);
    timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code&) {
      if (!self->writer_done_) beast::get_lowest_layer(self->ws_).close();
    });
  }

  asio::awaitable<void> writer() {
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

  struct Outgoing {
    std::shared_ptr<const std::string> text;
    bool close_after = false;
  };

  // One commit often carries several updates for the orders one client
  // follows. While more are queued, the socket is corked so their frames
  // leave in one TCP segment instead of one each; uncorking when the queue
  // runs dry sends at once, so nothing waits on the cork's timer.
  void cork(bool on) {
    if (corked_ == on) return;
    corked_ = on;
    const int value = on ? 1 : 0;
    ::setsockopt(beast::get_lowest_layer(ws_).socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value,
                 sizeof value);
  }

 public:
  http::request<http::string_body> upgrade_request_;

 private:

  websocket::stream<beast::tcp_stream> ws_;
  ConnectionSlot slot_;
  ServerContext& ctx_;
  WsProtocol protocol_;
  WsDialect dialect_ = WsDialect::compat;
  asio::steady_timer wake_;
  std::deque<Outgoing> queue_;
  std::unordered_map<OrderId, Subscription, OrderIdHash> subs_;
  std::deque<OrderId> catch_up_line_;  // subscriptions waiting to catch up, each at most once
  int catch_ups_running_ = 0;
  bool closing_ = false;
  bool corked_ = false;
  bool writer_done_ = false;
  websocket::close_code close_code_ = websocket::close_code::none;
  std::string close_reason_;
};

}  // namespace

asio::awaitable<void> serve_websocket(beast::tcp_stream stream, ConnectionSlot slot, ServerContext& ctx,
                                      std::unique_ptr<http::request<http::string_body>> upgrade, WsProtocol protocol,
                                      std::optional<OrderId> fixed, std::uint64_t from_seq) {
  auto ws = std::make_shared<WsSession>(std::move(stream), std::move(slot), ctx, protocol);
  ws->upgrade_request_ = std::move(*upgrade);
  co_await ws->run(fixed ? &*fixed : nullptr, from_seq);
}

}  // namespace oee::api
