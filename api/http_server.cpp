#include "api/http_server.h"

#include <charconv>
#include <deque>
#include <set>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "api/handlers.h"
#include "core/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// How a WebSocket connection learns which orders to stream.
enum class WsProtocol {
  json,     // /ws: {"type":"subscribe","orderId","fromSeq"} and "unsubscribe"
  bare_id,  // /api/orders/status: each text frame is an order id
  fixed,    // /api/orders/execute?orderId=, /order/{id}: one order, closed when terminal
};

std::string control(std::string_view type, const json::object& fields = {}) {
  json::object message{{"type", type}};
  for (const auto& kv : fields) message[kv.key()] = kv.value();
  return json::serialize(message);
}

std::string ws_error(std::string_view code, std::string_view message, std::string_view field = {}) {
  return control("error", json::object{{"error", json::object{{"code", code},
                                                              {"message", message},
                                                              {"field", field.empty() ? json::value(nullptr)
                                                                                      : json::value(field)}}}});
}

// One WebSocket client. Runs on its connection's strand; the hub reaches it
// only through deliver(), which posts there.
class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream&& stream, App& app, WsProtocol protocol)
      : ws_(std::move(stream)), app_(app), protocol_(protocol), wake_(ws_.get_executor()) {}

  ~WsSession() override {
    for (const auto& [order, _] : last_sent_) app_.hub.unsubscribe(order, this);
  }

  void deliver(std::shared_ptr<const StatusUpdate> update) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), update = std::move(update)] {
      self->on_update(*update, std::shared_ptr<const std::string>(update, &update->text));
    });
  }

  // Parameters are trivially copyable on purpose: GCC 12 mis-copies coroutine
  // parameters that hold short strings, so the request is a member.
  asio::awaitable<void> run(const OrderId* fixed, std::uint64_t from_seq) {
    const auto req = std::move(upgrade_request_);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "oee"); }));
    ws_.read_message_max(app_.config.ws_message_limit);
    auto [ec] = co_await ws_.async_accept(req, kTuple);
    if (ec) co_return;
    app_.ws_clients.fetch_add(1);
    asio::co_spawn(ws_.get_executor(), shared_from_this()->writer(), asio::detached);
    if (fixed != nullptr) subscribe(*fixed, from_seq);

    beast::flat_buffer buffer;
    for (;;) {
      auto [rec, n] = co_await ws_.async_read(buffer, kTuple);
      if (rec) break;
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(n);
      on_message(text);
      if (closing_) break;
    }
    closing_ = true;
    wake_.cancel();
    app_.ws_clients.fetch_sub(1);
  }

 private:
  void on_message(const std::string& text) {
    if (protocol_ == WsProtocol::bare_id) {
      std::string_view id = text;
      while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.remove_suffix(1);
      if (!id.empty() && id.front() != '{') {
        if (auto parsed = OrderId::parse(id)) {
          subscribe(*parsed, 0);
        } else {
          enqueue(ws_error("invalid_order_id", "send an order id (UUID) or a JSON subscribe message", "orderId"));
        }
        return;
      }
    }
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) {
      enqueue(ws_error("invalid_json", "messages are JSON objects like {\"type\":\"subscribe\",\"orderId\":\"…\"}"));
      return;
    }
    const auto& o = v.get_object();
    const auto* type = o.if_contains("type");
    const auto* order = o.if_contains("orderId");
    if (type == nullptr || !type->is_string()) {
      enqueue(ws_error("missing_field", "type is required: subscribe or unsubscribe", "type"));
      return;
    }
    const std::string_view t = type->get_string();
    if (t == "ping") {
      enqueue(control("pong"));
      return;
    }
    if (t != "subscribe" && t != "unsubscribe") {
      enqueue(ws_error("unknown_type", "type must be subscribe or unsubscribe", "type"));
      return;
    }
    if (order == nullptr || !order->is_string()) {
      enqueue(ws_error("missing_field", "orderId is required", "orderId"));
      return;
    }
    auto id = OrderId::parse(order->get_string());
    if (!id) {
      enqueue(ws_error("invalid_order_id", "orderId must be a UUID", "orderId"));
      return;
    }
    if (t == "unsubscribe") {
      app_.hub.unsubscribe(*id, this);
      last_sent_.erase(*id);
      enqueue(control("unsubscribed", json::object{{"orderId", id->str()}}));
      return;
    }
    std::uint64_t from = 0;
    if (const auto* f = o.if_contains("fromSeq")) {
      if (!f->is_int64() && !f->is_uint64()) {
        enqueue(ws_error("invalid_from_seq", "fromSeq must be a non-negative integer", "fromSeq"));
        return;
      }
      const auto n = f->to_number<std::int64_t>();
      if (n < 0) {
        enqueue(ws_error("invalid_from_seq", "fromSeq must be a non-negative integer", "fromSeq"));
        return;
      }
      from = static_cast<std::uint64_t>(n);
    }
    subscribe(*id, from);
  }

  // Registers with the hub first, then replays the log: anything committed in
  // between arrives twice and is dropped by seq in on_update, so nothing is
  // lost or repeated across the catch-up/live boundary.
  void subscribe(const OrderId& id, std::uint64_t from_seq) {
    if (last_sent_.size() >= app_.config.ws_subscriptions_limit && !last_sent_.contains(id)) {
      enqueue(ws_error("too_many_subscriptions", "unsubscribe from finished orders first"));
      return;
    }
    auto snapshot = app_.log.snapshot(id);
    if (!snapshot || !*snapshot) {
      enqueue(ws_error(snapshot ? "not_found" : "log_unavailable",
                       snapshot ? "no order with id " + id.str() : snapshot.error().message(), "orderId"));
      if (protocol_ == WsProtocol::fixed) closing_ = true;
      return;
    }
    app_.hub.subscribe(id, shared_from_this());
    const Seq start{from_seq};
    Seq& last = last_sent_[id];
    last = Seq{from_seq == 0 ? 0 : from_seq - 1};
    enqueue(control("subscribed", json::object{{"orderId", id.str()}, {"fromSeq", start.value}}));
    auto records = app_.log.read_order(id, start);
    if (!records) {
      enqueue(ws_error("log_unavailable", records.error().message()));
      return;
    }
    for (const auto& r : *records) {
      if (r.seq <= last) continue;
      last = r.seq;
      enqueue(core::status_message_text(r), core::is_terminal_event(r.type));
    }
  }

  void on_update(const StatusUpdate& u, std::shared_ptr<const std::string> text) {
    auto it = last_sent_.find(u.order);
    if (it == last_sent_.end() || u.seq <= it->second) return;
    it->second = u.seq;
    enqueue(std::move(text), u.terminal);
  }

  void enqueue(std::string text, bool terminal = false) {
    enqueue(std::make_shared<const std::string>(std::move(text)), terminal);
  }

  void enqueue(std::shared_ptr<const std::string> text, bool terminal) {
    if (closing_) return;
    if (queue_.size() >= app_.config.ws_queue_limit) {
      // A reader this far behind would make us buffer without bound: drop it.
      queue_.clear();
      close_code_ = websocket::close_code::policy_error;
      close_reason_ = "slow consumer: too many undelivered messages";
      app_.ws_dropped_slow.fetch_add(1);
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
        if (closing_) break;
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(kTuple);
        continue;
      }
      Outgoing out = std::move(queue_.front());
      queue_.pop_front();
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*out.text), kTuple);
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
    if (close_code_ != websocket::close_code::none) {
      const websocket::close_reason reason(close_code_, close_reason_);
      co_await ws_.async_close(reason, kTuple);
    } else if (ws_.is_open()) {
      co_await ws_.async_close(websocket::close_code::going_away, kTuple);
    }
    writer_done_ = true;
  }

  struct Outgoing {
    std::shared_ptr<const std::string> text;
    bool close_after = false;
  };

 public:
  http::request<http::string_body> upgrade_request_;

 private:

  websocket::stream<beast::tcp_stream> ws_;
  App& app_;
  WsProtocol protocol_;
  asio::steady_timer wake_;
  std::deque<Outgoing> queue_;
  std::unordered_map<OrderId, Seq, OrderIdHash> last_sent_;
  bool closing_ = false;
  bool writer_done_ = false;
  websocket::close_code close_code_ = websocket::close_code::none;
  std::string close_reason_;
};

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "oee");
  res.set(http::field::content_type, r.content_type);
  if (!r.allow.empty()) res.set(http::field::allow, r.allow);
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

struct WsRoute {
  WsProtocol protocol;
  std::optional<OrderId> order;
  std::uint64_t from_seq = 0;
  std::optional<ApiError> error;
};

std::optional<WsRoute> ws_route(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  std::vector<std::string> seg;
  for (auto s : url->segments()) {
    if (!s.empty()) seg.push_back(s);
  }
  auto param = [&](std::string_view key) -> std::optional<std::string> {
    for (auto p : url->params()) {
      if (p.key == key) return std::string(p.value);
    }
    return std::nullopt;
  };
  auto parse_order = [](WsRoute& r, const std::string& text) {
    r.order = OrderId::parse(text);
    if (!r.order) r.error = ApiError{400, "invalid_order_id", "orderId must be a UUID", "orderId"};
  };
  WsRoute r{WsProtocol::json, std::nullopt, 0, std::nullopt};
  if (auto f = param("fromSeq")) {
    auto [ptr, ec] = std::from_chars(f->data(), f->data() + f->size(), r.from_seq);
    if (ec != std::errc{} || ptr != f->data() + f->size()) {
      r.error = ApiError{400, "invalid_from_seq", "fromSeq must be a non-negative integer", "fromSeq"};
    }
  }
  if (seg == std::vector<std::string>{"ws"}) {
    if (auto id = param("orderId")) parse_order(r, *id);
    return r;
  }
  if (seg == std::vector<std::string>{"api", "orders", "status"}) {
    r.protocol = WsProtocol::bare_id;
    if (auto id = param("orderId")) parse_order(r, *id);
    return r;
  }
  if (seg == std::vector<std::string>{"api", "orders", "execute"}) {
    r.protocol = WsProtocol::fixed;
    auto id = param("orderId");
    if (!id) {
      r.error = ApiError{400, "missing_field", "open the stream with ?orderId=<id from the POST>", "orderId"};
    } else {
      parse_order(r, *id);
    }
    return r;
  }
  if (seg.size() == 2 && seg[0] == "order") {
    r.protocol = WsProtocol::fixed;
    parse_order(r, seg[1]);
    return r;
  }
  return std::nullopt;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& ioc, App& app) : ioc(ioc), app(app), acceptor(ioc) {}

  asio::awaitable<void> listen() {
    for (;;) {
      auto strand = asio::make_strand(ioc);  // a named local: see core/async_append.h on GCC 12
      auto [ec, socket] = co_await acceptor.async_accept(strand, kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      if (static_cast<std::size_t>(app.connections.load()) >= app.config.max_connections) {
        // Over the limit: refuse cheaply rather than queue without bound.
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> session(beast::tcp_stream stream) {
    app.connections.fetch_add(1);
    struct Guard {
      App& app;
      ~Guard() { app.connections.fetch_sub(1); }
    } guard{app};
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(app.config.header_limit));
      parser.body_limit(app.config.body_limit);
      stream.expires_after(60s);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec) {
        ApiError e{400, "bad_request", "malformed HTTP request: " + ec.message(), ""};
        if (ec == http::error::body_limit) {
          e = ApiError{413, "body_too_large",
                       "the body is larger than " + std::to_string(app.config.body_limit) + " bytes", ""};
        } else if (ec == http::error::header_limit) {
          e = ApiError{431, "headers_too_large", "request headers are too large", ""};
        }
        auto res = to_beast(error_response(e), 11, false, false);
        co_await http::async_write(stream, res, kTuple);
        break;
      }
      auto req = parser.release();
      if (websocket::is_upgrade(req)) {
        auto route = ws_route(req.target());
        if (!route || route->error) {
          const auto e = route ? *route->error : ApiError{404, "not_found", "no WebSocket endpoint here", ""};
          auto res = to_beast(error_response(e), req.version(), false, false);
          co_await http::async_write(stream, res, kTuple);
          break;
        }
        auto ws = std::make_shared<WsSession>(std::move(stream), app, route->protocol);
        ws->upgrade_request_ = std::move(req);
        co_await ws->run(route->order ? &*route->order : nullptr, route->from_seq);
        co_return;
      }
      HttpRequest request{std::string(req.method_string()), std::string(req.target()), std::move(req.body()),
                          std::string(req[http::field::content_type]), std::string(req["Idempotency-Key"])};
      const HttpResponse response = co_await handle_request(app, request);
      const bool keep_alive = req.keep_alive();
      auto res = to_beast(response, req.version(), keep_alive, req.method() == http::verb::head);
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::io_context& ioc;
  App& app;
  tcp::acceptor acceptor;
};

HttpServer::HttpServer(asio::io_context& ioc, App& app) : impl_(std::make_shared<Impl>(ioc, app)) {}
HttpServer::~HttpServer() = default;

void HttpServer::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->app.config.bind, ec);
  if (ec) throw std::runtime_error("invalid --bind address '" + impl_->app.config.bind + "'");
  const tcp::endpoint endpoint(address, impl_->app.config.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + impl_->app.config.bind + ":" +
                             std::to_string(impl_->app.config.port) + ": " + ec.message());
  }
  asio::co_spawn(impl_->ioc, impl_->listen(), asio::detached);
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace oee::api
