#include "api/http/http_server.h"

#include <array>
#include <atomic>
#include <memory>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "api/http/api_error.h"
#include "api/http/http_framing.h"
#include "api/http/request_reader.h"
#include "api/http/response_wire.h"
#include "api/http/ws_session.h"
#include "api/tls/transport.h"
#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// After a cut, the time the connections' last handlers take to run.
constexpr std::chrono::seconds kCutWait{2};

// Every answer but the route handlers' (refusals, errors before routing).
http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version, bool keep_alive, bool head) {
  return beast_response(r, ResponseFraming{version, keep_alive, head, {}, false});
}

// What an origin outside --cors-origins gets for a preflight, a request
// that acts, or a WebSocket upgrade: no CORS headers, so the browser
// blocks the page.
ApiError origin_refused() {
  return ApiError{403, "origin_not_allowed",
                  "this origin may not call the API or open a WebSocket here; see --cors-origins", "Origin"};
}

ApiError host_refused() {
  return ApiError{403, "host_not_allowed",
                  "this server answers only localhost, IP addresses and the names given with --allowed-host "
                  "(OEE_ALLOWED_HOSTS) while authentication is off: another name may be a site re-pointed at "
                  "this machine (DNS rebinding)",
                  "Host"};
}

// A browser's preflight from an allowed origin: the methods and headers
// the API takes.
http::response<http::string_body> preflight(std::string_view origin, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{http::status::no_content, version};
  res.set(http::field::server, "oee");
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_methods, CorsPolicy::kAllowMethods);
  res.set(http::field::access_control_allow_headers, CorsPolicy::kAllowHeaders);
  res.set(http::field::access_control_max_age, CorsPolicy::kMaxAgeSeconds);
  res.set(http::field::vary, "Origin");
  res.keep_alive(keep_alive);
  return res;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& ioc, ServerContext& ctx, unsigned threads) : ioc(ioc), ctx(ctx), acceptor(ioc) {
    for (unsigned i = 1; i < threads; ++i) {
      loops.push_back(std::make_unique<asio::io_context>(1));
      loop_work.push_back(asio::make_work_guard(*loops.back()));
    }
  }

  // Where the next connection runs: the loops in turn. On the shared
  // io_context, which several threads may run, a strand of its own.
  asio::any_io_executor next_connection_executor() {
    const std::size_t turn = next_connection++ % (loops.size() + 1);
    if (turn == 0) return asio::make_strand(ioc);
    return loops[turn - 1]->get_executor();
  }

  // Out of descriptors (or kernel memory), an accept fails at once, again
  // and again while the listening socket stays readable: retrying at once
  // spins a core and floods the log. Back off instead, log once per pause
  // with a count, and serve again as soon as descriptors free up.
  asio::awaitable<void> listen() {
    constexpr auto kFirstPause = 50ms;
    constexpr std::size_t kShedAtOnce = 16;
    constexpr auto kAfterShedding = 5ms;  // for the closes to land
    constexpr auto kLongestPause = 1s;
    auto pause = kFirstPause;
    asio::steady_timer backoff(ioc);
    for (;;) {
      auto where = next_connection_executor();  // a named local: [gcc12-coro]
      auto [ec, socket] = co_await acceptor.async_accept(where, use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        const auto failures = ctx.accept_errors.fetch_add(1) + 1;
        const bool exhausted = ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                               ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
        if (!exhausted) continue;  // the peer went away before we took it: nothing to wait for
        // Idle connections (no request under way, no stream) give their
        // descriptors to whoever waits behind them, oldest first: held
        // idle, they would keep a newcomer out until they time out.
        if (ctx.shed_idle(kShedAtOnce) > 0) {
          backoff.expires_after(kAfterShedding);
          co_await backoff.async_wait(use_tuple);
          continue;
        }
        spdlog::warn("accept failed: {} ({} failed accepts so far); pausing {} ms", ec.message(), failures,
                     pause.count());
        backoff.expires_after(pause);
        co_await backoff.async_wait(use_tuple);
        pause = std::min<std::chrono::milliseconds>(pause * 2, kLongestPause);
        continue;
      }
      pause = kFirstPause;
      if (static_cast<std::size_t>(ctx.connections.load()) >= ctx.config.max_connections) {
        // Over the limit: refuse cheaply rather than queue without bound.
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      // Status messages and responses are small writes: Nagle's algorithm
      // would hold them for the peer's delayed ACK (up to ~40 ms).
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(beast::tcp_stream(std::move(socket))), [&ctx = ctx](std::exception_ptr e) {
        if (e) note_session_error(ctx, e);
      });
    }
  }

  // The boundary of a connection: whatever escapes it is counted and
  // logged, the connection is closed (its coroutine frame and socket are
  // gone), and every other connection goes on.
  static void note_session_error(ServerContext& ctx, const std::exception_ptr& e) {
    ctx.session_errors.fetch_add(1);
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("connection closed on an unexpected error: {}", ex.what());
    } catch (...) {
      spdlog::error("connection closed on an unexpected error");
    }
  }

  // After an answer that ends the connection: the request may have more
  // bytes on their way, and closing with unread bytes resets the
  // connection, which can wipe out the answer before the client reads it.
  // So the write side is shut, and what comes is read and dropped until the
  // client closes too (or for a second).
  static asio::awaitable<void> drain(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::seconds(1));
    std::array<char, 4096> sink;
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  }

  // On a TLS port: TLS, or a plain request answered that it is the wrong
  // scheme. False if the connection is to end.
  asio::awaitable<bool> secure(Transport& stream, beast::flat_buffer& buffer) {
    stream.tcp().expires_after(ctx.config.tls_handshake_timeout);
    auto [dec, is_tls] = co_await beast::async_detect_ssl(stream.tcp(), buffer, use_tuple);
    if (dec) co_return false;
    if (!is_tls) {
      ctx.tls_failures.fetch_add(1);
      auto res = to_beast(error_response(ApiError{400, "tls_required",
                                                  "this port speaks HTTPS: use https:// (wss:// for a WebSocket)",
                                                  ""}),
                          11, false, false);
      co_await http::async_write(stream.tcp(), res, use_tuple);
      co_await drain(stream.tcp());
      co_return false;
    }
    stream.start_tls(*ctx.config.tls);
    const auto received = buffer.data();  // the bytes detection read: the handshake's start
    auto [hec, used] = co_await stream.tls()->async_handshake(asio::ssl::stream_base::server, received, use_tuple);
    if (hec) {
      ctx.tls_failures.fetch_add(1);
      spdlog::debug("TLS handshake failed: {}", hec.message());
      boost::system::error_code ignored;
      stream.tcp().socket().close(ignored);
      co_return false;
    }
    buffer.consume(used);
    co_return true;
  }

  asio::awaitable<void> session(beast::tcp_stream tcp) {
    Transport stream(std::move(tcp));
    boost::system::error_code no_peer;
    const auto peer = stream.tcp().socket().remote_endpoint(no_peer).address();
    auto opened = ConnectionSlot::open(ctx, peer);
    if (!opened) {
      // Over its address's cap: refused as cheaply as over the global one.
      boost::system::error_code ignored;
      stream.tcp().socket().close(ignored);
      co_return;
    }
    ConnectionSlot slot = std::move(*opened);
    // On stop(): the read of the next request ends, so a connection
    // waiting for one closes at once, and one being answered closes after
    // its answer. The token is the frame's: gone with it, on this strand.
    auto here = std::make_shared<Transport*>(&stream);
    slot.on_close(stream.get_executor(), std::weak_ptr(here), [](Transport* s, ServerContext::Closing how) {
      boost::system::error_code ignored;
      if (how == ServerContext::Closing::cut) {
        s->tcp().socket().close(ignored);
      } else {
        s->tcp().socket().shutdown(tcp::socket::shutdown_receive, ignored);
      }
    });
    // Bounded, so that what the parser must hold whole (a header section, a
    // chunk line, the trailer section) cannot grow it past the limits; past
    // them the read fails with buffer_overflow (431). Bodies stream through.
    beast::flat_buffer buffer(read_buffer_limit(ctx.config.header_limit));
    if (ctx.config.tls) {
      const bool secured = co_await secure(stream, buffer);
      if (!secured) co_return;
    }
    for (bool first_request = true;; first_request = false) {
      RequestParser parser(ctx.config.header_limit, ctx.config.body_limit);
      const auto read = co_await read_request(stream, buffer, parser, slot, ctx.config, first_request);
      if (read.gone) break;
      if (read.refusal) {
        ctx.http_malformed.fetch_add(1);
        auto res = to_beast(error_response(*read.refusal), 11, false, false);
        co_await http::async_write(stream, res, use_tuple);
        break;
      }
      auto req = parser.parser().release();
      if (!ctx.config.hosts.allows(req[http::field::host])) {
        auto res = to_beast(error_response(host_refused()), req.version(), false, false);
        co_await http::async_write(stream, res, use_tuple);
        break;
      }
      // Set by browsers only: scripts and curl send none and are unaffected.
      const std::string origin(req[http::field::origin]);
      const bool origin_allowed = !origin.empty() && ctx.config.cors.allows(origin);
      const bool origin_refused_here = !origin.empty() && !origin_allowed;
      if (websocket::is_upgrade(req)) {
        if (origin_refused_here) {
          auto res = to_beast(error_response(origin_refused()), req.version(), false, false);
          co_await http::async_write(stream, res, use_tuple);
          break;
        }
        auto route = ctx.router.websocket(req.target(), req[http::field::authorization], peer);
        if (route && route->refusal) {
          auto res = to_beast(*route->refusal, req.version(), false, false);
          co_await http::async_write(stream, res, use_tuple);
          break;
        }
        if (!route || route->error) {
          const auto e = route ? *route->error : ApiError{404, "not_found", "no WebSocket endpoint here", ""};
          auto res = to_beast(error_response(e), req.version(), false, false);
          co_await http::async_write(stream, res, use_tuple);
          break;
        }
        if (route->principal.kind == Principal::Kind::key && !slot.held_by(route->principal.key)) {
          auto res = to_beast(error_response(ApiError{429, "too_many_websockets",
                                                      "this API key holds its most WebSockets open at once "
                                                      "(--max-websockets-per-key); close one first",
                                                      ""}),
                              req.version(), false, false);
          co_await http::async_write(stream, res, use_tuple);
          break;
        }
        // The WebSocket session registers a closer of its own: this one,
        // left, would find the stream moved away.
        here.reset();
        co_await serve_websocket(std::move(stream), std::move(slot), ctx,
                                 std::make_unique<http::request<http::string_body>>(std::move(req)), route->protocol,
                                 route->order, route->from_seq, route->principal);
        co_return;
      }
      const bool is_preflight = req.method() == http::verb::options && !origin.empty() &&
                                req.find(http::field::access_control_request_method) != req.end();
      // A form or a script on a site outside the list can send a POST or
      // a DELETE without a preflight (a "simple" request): it must not act.
      const bool reads = req.method() == http::verb::get || req.method() == http::verb::head ||
                         req.method() == http::verb::options;
      if (is_preflight || (origin_refused_here && !reads)) {
        const bool keep_alive = req.keep_alive();
        auto res = origin_refused_here ? to_beast(error_response(origin_refused()), req.version(), keep_alive, false)
                                       : preflight(origin, req.version(), keep_alive);
        auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
        if (wec || !keep_alive) break;
        continue;
      }
      HttpRequest request{std::string(req.method_string()), std::string(req.target()), std::move(req.body()),
                          std::string(req[http::field::content_type]), std::string(req["Idempotency-Key"]),
                          std::string(req[http::field::authorization]), peer};
      request.wants_html = req[http::field::accept].find("text/html") != std::string_view::npos;
      ctx.http_requests.fetch_add(1, std::memory_order_relaxed);
      const HttpResponse response = co_await ctx.router.handle(request);
      const bool keep_alive = req.keep_alive();
      // The bytes Beast would write, in one string and one write.
      const std::string wire = wire_response(
          response, ResponseFraming{req.version(), keep_alive, req.method() == http::verb::head,
                                    origin_allowed ? std::string_view(origin) : std::string_view(),
                                    stream.tls() != nullptr});
      const auto bytes = asio::buffer(wire);  // named: [gcc12-coro]
      auto [wec, wn] = co_await asio::async_write(stream, bytes, use_tuple);
      if (wec || !keep_alive) break;
    }
    if (auto* tls = stream.tls()) {
      // close_notify, so the client knows the answer is whole; a client
      // that never answers it is not waited for long.
      stream.tcp().expires_after(std::chrono::seconds(1));
      co_await tls->async_shutdown(use_tuple);
    }
    boost::system::error_code ignored;
    stream.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::io_context& ioc;
  ServerContext& ctx;
  tcp::acceptor acceptor;
  // The server's own loops, one thread each (run_thread), and what keeps
  // them running until stop().
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> loop_work;
  std::size_t next_connection = 0;  // on the acceptor's side only
  std::atomic<std::size_t> next_runner{0};
};

HttpServer::HttpServer(asio::io_context& ioc, ServerContext& ctx, unsigned threads)
    : impl_(std::make_shared<Impl>(ioc, ctx, threads)) {}

// The loops go with the server, while what their handlers reference (the
// context, the hub) is still there; their threads have been joined.
HttpServer::~HttpServer() {
  impl_->loop_work.clear();
  impl_->loops.clear();
}

void HttpServer::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->ctx.config.bind, ec);
  if (ec) throw std::runtime_error("invalid --bind address '" + impl_->ctx.config.bind + "'");
  const tcp::endpoint endpoint(address, impl_->ctx.config.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + impl_->ctx.config.bind + ":" +
                             std::to_string(impl_->ctx.config.port) + ": " + ec.message());
  }
  asio::co_spawn(impl_->ioc, impl_->listen(), asio::detached);
}

bool HttpServer::stop(std::chrono::milliseconds grace) {
  asio::post(impl_->ioc, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  auto& ctx = impl_->ctx;
  ctx.close_connections(ServerContext::Closing::close);
  const bool closed = ctx.wait_for_no_connections(std::chrono::steady_clock::now() + grace);
  if (!closed) {
    ctx.close_connections(ServerContext::Closing::cut);
    (void)ctx.wait_for_no_connections(std::chrono::steady_clock::now() + kCutWait);
  }
  // The loops go on until what is queued on them is done: a connection
  // accepted before the listener closed, whose session has yet to start
  // there, still starts, finds the server closing and closes.
  for (auto& work : impl_->loop_work) work.reset();
  return closed;
}

void HttpServer::stop_threads() {
  for (auto& loop : impl_->loops) loop->stop();
}

void HttpServer::run_thread() {
  const std::size_t runner = impl_->next_runner.fetch_add(1);
  asio::io_context& loop = runner == 0 || runner > impl_->loops.size() ? impl_->ioc : *impl_->loops[runner - 1];
  for (;;) {
    try {
      loop.run();
      return;
    } catch (const std::exception& e) {
      // Thrown from inside an operation's completion, where no connection's
      // coroutine can catch it; that operation is gone, the thread goes on.
      impl_->ctx.session_errors.fetch_add(1);
      spdlog::error("an I/O handler failed: {}", e.what());
    }
  }
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace oee::api
