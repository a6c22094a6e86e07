// Connecting, publishing and message lookups (connection.h); following and
// reading streams: consumers.cpp; creating them: streams.cpp.
#include "eventlog/jetstream/connection.h"

#include <charconv>
#include <filesystem>
#include <stdexcept>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/async_subscription.h"
#include "eventlog/jetstream/detail/nats_support.h"
#include "eventlog/jetstream/detail/pipelined_replies.h"

namespace oee::eventlog::jetstream {

using namespace detail;

namespace {

constexpr auto kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
struct AckDeleter {
  void operator()(jsPubAck* a) const { jsPubAck_Destroy(a); }
};

}  // namespace

std::vector<std::string> parse_urls(std::string_view list) {
  std::vector<std::string> urls;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view url = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ') url.remove_suffix(1);
    if (url.empty()) continue;
    const auto bad = [&](std::string_view why) {
      return std::invalid_argument(fmt::format("NATS URL '{}' {} (expected nats://[user:password@]host:port or tls://…)",
                                               without_credentials(url), why));
    };
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) throw bad("has no scheme");
    const auto scheme = url.substr(0, scheme_end);
    if (scheme != "nats" && scheme != "tls") throw bad("has an unknown scheme");
    auto rest = url.substr(scheme_end + 3);
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) throw bad("needs a host and a port");
    const auto port_text = rest.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      throw bad("has no valid port");
    urls.emplace_back(url);
  }
  if (urls.empty()) throw std::invalid_argument("no NATS server URL given");
  return urls;
}

std::string_view StoredMessage::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

std::unique_ptr<Connection> Connection::connect(const ConnectOptions& options) {
  std::string shown;
  for (const auto& url : options.urls) shown += (shown.empty() ? "" : ",") + without_credentials(url);
  const auto check = [&](natsStatus s, std::string_view what) {
    if (s != NATS_OK)
      throw std::runtime_error(fmt::format("NATS client setup failed ({}): {}", what, last_error_text(s)));
  };
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "options");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  std::vector<const char*> servers;
  bool tls = false;
  for (const auto& url : options.urls) {
    servers.push_back(url.c_str());
    tls = tls || url.starts_with("tls://");
  }
  check(natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size())), "servers");
  check(natsOptions_SetNoRandomize(opts.get(), false), "randomize");
  if (!options.name.empty()) check(natsOptions_SetName(opts.get(), options.name.c_str()), "name");
  check(natsOptions_SetTimeout(opts.get(), 2000), "connect timeout");
  check(natsOptions_SetMaxReconnect(opts.get(), -1), "reconnects");
  check(natsOptions_SetReconnectWait(opts.get(), 250), "reconnect wait");
  check(natsOptions_SetReconnectJitter(opts.get(), 100, 500), "reconnect jitter");
  // A stopped (not killed) server closes no socket: pings find it.
  check(natsOptions_SetPingInterval(opts.get(), 1000), "ping interval");
  check(natsOptions_SetMaxPingsOut(opts.get(), 2), "pings out");
  // Writes while disconnected fail at once instead of queueing: the
  // caller answers 503 and the client retries (with its idempotency key).
  check(natsOptions_SetReconnectBufSize(opts.get(), 1), "reconnect buffer");
  check(natsOptions_SetFailRequestsOnDisconnect(opts.get(), true), "fail requests on disconnect");
  if (!options.creds_file.empty()) {
    if (!std::filesystem::exists(options.creds_file))
      throw std::runtime_error(fmt::format("NATS credentials file {} does not exist (--nats-creds)", options.creds_file));
    check(natsOptions_SetUserCredentialsFromFiles(opts.get(), options.creds_file.c_str(), nullptr), "credentials");
  }
  if (!options.ca_file.empty() && !std::filesystem::exists(options.ca_file))
    throw std::runtime_error(fmt::format("NATS CA file {} does not exist (--nats-ca)", options.ca_file));
  if (tls) {
    check(natsOptions_SetSecure(opts.get(), true), "tls");
    const std::string ca = !options.ca_file.empty() ? options.ca_file : kSystemCaBundle;
    if (std::filesystem::exists(ca)) check(natsOptions_LoadCATrustedCertificates(opts.get(), ca.c_str()), "CA file");
  }

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->known_servers = options.urls.size();
  if (const auto s = natsConnection_Connect(&impl->nc, opts.get()); s != NATS_OK)
    throw std::runtime_error(fmt::format(
        "cannot connect to the NATS cluster at {}: {}. Check that the servers run, that --nats (OEE_NATS_URL) "
        "names them as nats://user:password@host:port (tls:// where they require TLS, with --nats-ca naming the CA "
        "that signed their certificates), and the credentials",
        shown, last_error_text(s)));
  impl->replies.reset(new PipelinedReplies(impl->nc));  // NOLINT: its deleter is out of line
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = options.request_timeout.count();
  if (const auto s = natsConnection_JetStream(&impl->js, impl->nc, &js_options); s != NATS_OK)
    throw std::runtime_error(fmt::format("cannot use JetStream on {}: {}", shown, last_error_text(s)));
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

bool Connection::connected() const { return natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED; }

std::string Connection::server() const {
  char buffer[256] = {};
  if (natsConnection_GetConnectedUrl(impl_->nc, buffer, sizeof buffer) != NATS_OK) return {};
  return without_credentials(buffer);
}

namespace {

/// The message of a publish, its conditions in headers; `reply`: where the
/// stream answers (null: libnats chooses).
Result<MsgPtr> message_of(const Publish& p, const char* reply) {
  natsMsg* raw = nullptr;
  if (const auto s = natsMsg_Create(&raw, p.subject.c_str(), reply, p.data.data(), static_cast<int>(p.data.size()));
      s != NATS_OK)
    return failure(s, jsErrCode{}, false);
  MsgPtr msg(raw);
  // Set by hand, not through jsPubOptions: libnats takes 0 there for
  // "no expectation", and 0 is the expectation of a create.
  const auto set = [&](const char* key, const std::string& value) { return natsMsgHeader_Set(raw, key, value.c_str()); };
  natsStatus s = NATS_OK;
  if (!p.msg_id.empty()) s = set("Nats-Msg-Id", p.msg_id);
  if (s == NATS_OK && p.expect_last_seq) s = set("Nats-Expected-Last-Sequence", std::to_string(p.expect_last_seq->value));
  if (s == NATS_OK && p.expect_new_subject) s = set("Nats-Expected-Last-Subject-Sequence", "0");
  if (s == NATS_OK && !p.expect_last_msg_id.empty()) s = set("Nats-Expected-Last-Msg-Id", p.expect_last_msg_id);
  for (const auto& [key, value] : p.headers)
    if (s == NATS_OK) s = set(key.c_str(), value);
  if (s != NATS_OK) return failure(s, jsErrCode{}, false);
  return msg;
}

/// A stream's answer to a publish: {"stream":…,"seq":N,"duplicate":true}
/// or {"error":{"code":…,"err_code":…,"description":…}}.
Result<PublishAck> ack_of(natsMsg* reply) {
  if (natsMsg_IsNoResponders(reply)) return std::error_code(JsErrc::not_connected);  // no stream leader took it
  const char* data = natsMsg_GetData(reply);
  boost::system::error_code ec;
  const auto answer = boost::json::parse(std::string_view(data != nullptr ? data : "", natsMsg_GetDataLength(reply)), ec);
  if (ec || !answer.is_object()) return std::error_code(JsErrc::server_error);
  const auto& o = answer.get_object();
  if (const auto* error = o.if_contains("error")) {
    const auto* code = error->is_object() ? error->get_object().if_contains("err_code") : nullptr;
    const auto err = code != nullptr && code->is_int64() ? code->get_int64() : 0;
    if (err == JSStreamWrongLastSequenceErr || err == JSStreamWrongLastMsgIDErr) return std::error_code(JsErrc::wrong_last_sequence);
    spdlog::warn("jetstream: a pipelined publish was refused: {}", boost::json::serialize(*error));
    return std::error_code(JsErrc::server_error);
  }
  const auto* seq = o.if_contains("seq");
  if (seq == nullptr || !seq->is_int64() || seq->get_int64() <= 0) return std::error_code(JsErrc::server_error);
  const auto* duplicate = o.if_contains("duplicate");
  return PublishAck{Seq{static_cast<std::uint64_t>(seq->get_int64())}, duplicate != nullptr && duplicate->is_bool() && duplicate->get_bool()};
}

}  // namespace

namespace {

/// Sends `messages` in order on one connection, each awaiting its answer
/// on `batch`; returns how many went out (`out` holds why the next did not).
template <class Answer>
std::size_t send_all(natsConnection* nc, std::span<const Publish> messages, PipelinedReplies::Batch& batch,
                     std::vector<Result<Answer>>& out) {
  std::size_t sent = 0;
  for (; sent < messages.size(); ++sent) {
    auto msg = message_of(messages[sent], batch.reply_to(sent).c_str());
    if (!msg) {
      out[sent] = msg.error();
      break;
    }
    if (const auto s = natsConnection_PublishMsg(nc, msg->get()); s != NATS_OK) {
      out[sent] = failure(s, jsErrCode{}, false);
      break;
    }
    out[sent] = std::error_code(JsErrc::timeout);
  }
  return sent;
}

}  // namespace

std::vector<Result<PublishAck>> Connection::publish_all(std::span<const Publish> publishes,
                                                        std::chrono::milliseconds timeout) {
  std::vector<Result<PublishAck>> out(publishes.size(), std::error_code(JsErrc::not_connected));
  if (publishes.empty() || !connected()) return out;
  auto batch = impl_->replies->open(publishes.size());
  // Sent in order on one connection: the stream sees them in this order.
  const auto sent = send_all(impl_->nc, publishes, batch, out);
  auto answers = batch.wait(sent, std::chrono::steady_clock::now() + timeout);
  for (std::size_t i = 0; i < sent; ++i)
    if (answers[i]) out[i] = ack_of(answers[i].get());
  return out;
}

std::vector<Result<std::string>> Connection::request_all(std::span<const Publish> requests,
                                                         std::chrono::milliseconds timeout) {
  std::vector<Result<std::string>> out(requests.size(), std::error_code(JsErrc::not_connected));
  if (requests.empty() || !connected()) return out;
  auto batch = impl_->replies->open(requests.size());
  const auto sent = send_all(impl_->nc, requests, batch, out);
  auto answers = batch.wait(sent, std::chrono::steady_clock::now() + timeout);
  for (std::size_t i = 0; i < sent; ++i) {
    if (!answers[i]) continue;
    if (natsMsg_IsNoResponders(answers[i].get())) {
      out[i] = std::error_code(JsErrc::not_found);
      continue;
    }
    const char* data = natsMsg_GetData(answers[i].get());
    out[i] = std::string(data != nullptr ? data : "", natsMsg_GetDataLength(answers[i].get()));
  }
  return out;
}

struct Service::Impl {
  std::unique_ptr<AsyncSubscription> subscription;
};
Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

std::unique_ptr<Service> Connection::serve(const std::string& subject, const std::string& queue,
                                           std::function<void(Request)> handler) {
  auto impl = std::make_unique<Service::Impl>();
  impl->subscription = std::make_unique<AsyncSubscription>(impl_->nc, subject, queue, [handler = std::move(handler)](MsgPtr m) {
    const auto message = stored(m.get());
    const char* reply = natsMsg_GetReply(m.get());
    handler(Request{message.subject, message.data, message.headers, reply != nullptr ? reply : ""});
  });
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

std::error_code Connection::respond(const std::string& reply, std::string_view data) {
  if (const auto s = natsConnection_Publish(impl_->nc, reply.c_str(), data.data(), static_cast<int>(data.size()));
      s != NATS_OK)
    return failure(s, jsErrCode{}, false);
  return {};
}

Result<PublishAck> Connection::publish(const Publish& p) {
  if (!connected()) return std::error_code(JsErrc::not_connected);
  auto msg = message_of(p, nullptr);
  if (!msg) return msg.error();
  natsMsg* raw = msg->get();
  natsStatus s = NATS_OK;

  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = p.timeout.count();
  jsPubAck* ack_raw = nullptr;
  jsErrCode code{};
  s = js_PublishMsg(&ack_raw, impl_->js, raw, &options, &code);
  std::unique_ptr<jsPubAck, AckDeleter> ack(ack_raw);
  if (s != NATS_OK) {
    const auto ec = failure(s, code, true);
    if (ec == JsErrc::server_error)
      spdlog::warn("jetstream: a publish to {} was refused: {} (error code {})", p.subject, last_error_text(s),
                   static_cast<int>(code));
    return ec;
  }
  return PublishAck{Seq{ack->Sequence}, ack->Duplicate};
}

Result<std::optional<StoredMessage>> Connection::get(std::string_view stream, Seq seq) {
  const std::string name(stream);
  natsMsg* raw = nullptr;
  jsErrCode code{};
  const auto s = js_GetMsg(&raw, impl_->js, name.c_str(), seq.value, nullptr, &code);
  return found(s, code, MsgPtr(raw));
}

Result<std::optional<StoredMessage>> Connection::last_on_subject(std::string_view stream, std::string_view subject) {
  const std::string name(stream);
  const std::string subj(subject);
  natsMsg* raw = nullptr;
  jsErrCode code{};
  const auto s = js_GetLastMsg(&raw, impl_->js, name.c_str(), subj.c_str(), nullptr, &code);
  return found(s, code, MsgPtr(raw));
}

Result<StreamState> Connection::stream_state(std::string_view stream) {
  const std::string name(stream);
  jsStreamInfo* raw = nullptr;
  jsErrCode code{};
  const auto s = js_GetStreamInfo(&raw, impl_->js, name.c_str(), nullptr, &code);
  std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw);
  if (s != NATS_OK) return failure(s, code, false);
  StreamState out;
  out.first = Seq{info->State.FirstSeq};
  out.last = Seq{info->State.LastSeq};
  out.messages = info->State.Msgs;
  out.bytes = info->State.Bytes;
  out.replicas = static_cast<int>(info->Config->Replicas);
  if (info->Cluster != nullptr) {
    if (info->Cluster->Leader != nullptr) {
      out.leader = info->Cluster->Leader;
      out.current_peers = 1;
    }
    for (int i = 0; i < info->Cluster->ReplicasLen; ++i)
      if (info->Cluster->Replicas[i]->Current && !info->Cluster->Replicas[i]->Offline) ++out.current_peers;
  } else {
    out.current_peers = 1;
  }
  return out;
}

}  // namespace oee::eventlog::jetstream
