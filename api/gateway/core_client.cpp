#include "api/gateway/core_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "api/tls/client_connect.h"
#include "api/tls/transport.h"
#include "core/engine/use_tuple.h"
#include "core/wire/key_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

CatchUp unavailable(std::string why) {
  CatchUp r;
  r.outcome = CatchUp::Outcome::unavailable;
  r.error = "the core is unavailable: " + std::move(why);
  return r;
}

// The "events" array both of the core's event lists answer with, or null
// for a body that is not such a list.
const json::array* events_of(const json::value& body) {
  const auto* events = body.is_object() ? body.get_object().if_contains("events") : nullptr;
  return events != nullptr && events->is_array() ? &events->get_array() : nullptr;
}

}  // namespace

boost::system::result<CoreEndpoint, std::string> parse_core_url(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return {boost::system::in_place_error, "--core-url is not a URL (expected http://host:port)"};
  const bool tls = url->scheme() == "https";
  if (url->scheme() != "http" && !tls) {
    return {boost::system::in_place_error, "--core-url must start with http:// or https://"};
  }
  if (url->encoded_host().empty()) return {boost::system::in_place_error, "--core-url has no host"};
  const auto path = url->encoded_path();
  if (!path.empty() && path != "/") return {boost::system::in_place_error, "--core-url takes no path"};
  CoreEndpoint ep{std::string(url->host_address()), url->has_port() ? std::string(url->port()) : (tls ? "443" : "80"),
                  tls};
  return ep;
}

struct CoreClient::Connection {
  explicit Connection(const asio::any_io_executor& executor) : stream(beast::tcp_stream(executor)) {}
  Transport stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};

namespace {
// The core closes a connection idle for 60 s; one idle for less than this
// is still open unless the core restarted, and then a fresh one is tried.
constexpr auto kReuseWithin = std::chrono::seconds(20);
// As many as catch-ups run at once (CoreStreamSource's limit).
constexpr std::size_t kMaxIdle = 64;
}  // namespace

CoreClient::CoreClient(CoreEndpoint endpoint, std::string credential, TlsContext tls,
                       std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), credential_(std::move(credential)), tls_(std::move(tls)), timeout_(timeout) {
  if (endpoint_.tls && !tls_) {
    auto system_cas = client_tls_context("");
    if (!system_cas) throw std::runtime_error(system_cas.error());
    tls_ = *system_cas;
  }
}

CoreClient::~CoreClient() = default;

std::unique_ptr<CoreClient::Connection> CoreClient::take_idle() const {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  // The newest is last: if it has been idle too long, so have the others.
  if (std::chrono::steady_clock::now() - idle_.back()->idle_since >= kReuseWithin) {
    idle_.clear();
    return nullptr;
  }
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void CoreClient::drop_idle() const {
  std::lock_guard lock(mu_);
  idle_.clear();
}

void CoreClient::keep_idle(std::unique_ptr<Connection> connection) const {
  connection->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

asio::awaitable<std::unique_ptr<CoreClient::Connection>> CoreClient::connect(std::string& error) const {
  auto connection = std::make_unique<Connection>(co_await asio::this_coro::executor);
  connection->stream.tcp().expires_after(timeout_);
  const auto failed = co_await connect_client(connection->stream, endpoint_.host, endpoint_.port,
                                              endpoint_.tls ? tls_.get() : nullptr, endpoint_.host);
  if (failed) {
    error = failed->describe(endpoint_.host, endpoint_.port);
    co_return nullptr;
  }
  opened_.fetch_add(1);
  co_return connection;
}

asio::awaitable<boost::system::result<CoreClient::Answer, std::string>> CoreClient::get(const std::string& target) const {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, endpoint_.host);
  req.set(http::field::user_agent, "oee-gateway");
  if (!credential_.empty()) req.set(http::field::authorization, "Bearer " + credential_);
  req.keep_alive(true);

  for (bool fresh_only = false;;) {
    auto connection = fresh_only ? nullptr : take_idle();
    const bool reused = connection != nullptr;
    if (!reused) {
      std::string error;
      connection = co_await connect(error);
      if (!connection) co_return error;
    }
    requests_.fetch_add(1);
    connection->stream.tcp().expires_after(timeout_);
    auto [wec, wn] = co_await http::async_write(connection->stream, req, use_tuple);
    boost::system::error_code ec = wec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    if (!ec) {
      auto [rec, rn] = co_await http::async_read(connection->stream, connection->buffer, parser, use_tuple);
      ec = rec;
    }
    if (ec) {
      // A kept connection may have been closed by the core meanwhile (idle
      // or restarted, and then so were the others kept): the GET is safe to
      // send again, once, on a fresh one.
      if (reused) {
        drop_idle();
        fresh_only = true;
        continue;
      }
      co_return endpoint_.url() + ": " + ec.message();
    }
    auto res = parser.release();
    if (res.keep_alive()) keep_idle(std::move(connection));
    co_return Answer{res.result_int(), std::move(res.body())};
  }
}

namespace {

// The status messages of one of the core's event lists.
CatchUp status_updates_of(const json::value& body, const std::string& target) {
  const auto* events = events_of(body);
  if (events == nullptr) return unavailable("GET " + target + ": unexpected body");
  CatchUp result;
  result.updates.reserve(events->size());
  for (const auto& e : *events) {
    // Re-serialising keeps the core's bytes: Boost.JSON keeps key order and
    // prints numbers and escapes the way it parsed them.
    auto update = e.is_object() ? status_update_from(e.get_object(), json::serialize(e)) : nullptr;
    if (!update) return unavailable("GET " + target + ": an event is not a status message");
    result.updates.push_back(std::move(update));
  }
  return result;
}

}  // namespace

asio::awaitable<CatchUp> CoreClient::events(OrderId order, Seq from, std::optional<core::KeyId> as_key) const {
  std::string target = "/api/orders/" + order.str() + "/events?fromSeq=" + std::to_string(from.value);
  if (as_key) target += "&asKey=" + as_key->str();
  const auto answer = co_await get(target);
  if (!answer) co_return unavailable(answer.error());

  if (answer->status == 404) {
    CatchUp result;
    result.outcome = CatchUp::Outcome::not_found;
    result.error = "no order with id " + order.str();
    co_return result;
  }
  if (answer->status != 200) {
    co_return unavailable("GET " + target + " answered " + std::to_string(answer->status));
  }
  boost::system::error_code ignored;  // a body that does not parse is null: no list
  co_return status_updates_of(json::parse(answer->body, ignored), target);
}

asio::awaitable<CatchUp> CoreClient::recent_events(eventlog::Position after, std::size_t max,
                                                   std::optional<core::KeyId> as_key) const {
  // From the start: no fromSeq, which reads the same whatever the log.
  std::string target = "/api/events?newest=true&limit=" + std::to_string(max);
  if (after != eventlog::Position(after.partitioned())) target += "&fromSeq=" + after.next_text();
  if (as_key) target += "&asKey=" + as_key->str();
  const auto answer = co_await get(target);
  if (!answer) co_return unavailable(answer.error());
  if (answer->status != 200) {
    co_return unavailable("GET " + target + " answered " + std::to_string(answer->status));
  }
  boost::system::error_code ignored;
  const json::value body = json::parse(answer->body, ignored);
  CatchUp result = status_updates_of(body, target);
  if (result.outcome != CatchUp::Outcome::ok) co_return result;
  // A position as the core writes it: a seq, or a cluster's p:seq list.
  auto position = [&](const char* name) -> std::optional<eventlog::Position> {
    const auto* v = body.get_object().if_contains(name);
    if (v != nullptr && (v->is_uint64() || v->is_int64())) {
      return eventlog::Position::parse_next(std::to_string(v->to_number<std::uint64_t>()), false, 1);
    }
    if (v != nullptr && v->is_string()) {
      return eventlog::Position::parse_next(v->get_string(), true, eventlog::kMaxPartitions);
    }
    return std::nullopt;
  };
  auto first = position("first");
  auto next = position("next");
  if (!first || !next) co_return unavailable("GET " + target + ": no first and next position");
  result.before = std::move(*first);
  result.last = std::move(*next);
  if (const auto* head = body.get_object().if_contains("head"); head != nullptr && head->is_array()) {
    result.partitions = static_cast<std::uint32_t>(std::min<std::size_t>(head->get_array().size(), eventlog::kMaxPartitions));
  }
  co_return result;
}

asio::awaitable<boost::system::result<std::vector<core::KeyMessage>, std::string>> CoreClient::key_events() const {
  const std::string target = "/api/keys/events";  // named: [gcc12-coro]
  const auto answer = co_await get(target);
  if (!answer) co_return answer.error();
  if (answer->status != 200) {
    co_return "GET /api/keys/events answered " + std::to_string(answer->status) +
        (answer->status == 401 || answer->status == 403 ? " (is the gateway's --admin-key the core's?)" : "");
  }
  boost::system::error_code ignored;  // a body that does not parse is null: no list
  const json::value body = json::parse(answer->body, ignored);
  const auto* events = events_of(body);
  if (events == nullptr) co_return std::string("GET /api/keys/events: unexpected body");
  std::vector<core::KeyMessage> out;
  for (const auto& e : *events) {
    auto m = e.is_object() ? core::parse_key_message(e.get_object()) : std::nullopt;
    if (!m) co_return std::string("GET /api/keys/events: an event is not an API key's");
    out.push_back(std::move(*m));
  }
  co_return out;
}

}  // namespace oee::api
