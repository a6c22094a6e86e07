#include "eventlog/jetstream/connection.h"

#include <nats/nats.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace oee::eventlog::jetstream {

namespace {

constexpr auto kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct AckDeleter {
  void operator()(jsPubAck* a) const { jsPubAck_Destroy(a); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* s) const { jsStreamInfo_Destroy(s); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

/// "nats://user:secret@host:4222" → "nats://host:4222": what logs and errors show.
std::string without_credentials(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) return std::string(url);
  return std::string(url.substr(0, scheme_end + 3)) + std::string(url.substr(at + 1));
}

std::string last_error_text(natsStatus s) {
  natsStatus ignored = NATS_OK;
  const char* text = nats_GetLastError(&ignored);
  return text != nullptr && *text != '\0' ? text : natsStatus_GetText(s);
}

/// What a failed JetStream call means to a caller. `sent`: the request may
/// have reached the cluster, so a lost answer leaves its outcome unknown.
std::error_code failure(natsStatus s, jsErrCode code, bool sent) {
  switch (static_cast<int>(code)) {
    case JSStreamWrongLastSequenceErr: return JsErrc::wrong_last_sequence;
    case JSNoMessageFoundErr:
    case JSStreamNotFoundErr: return JsErrc::not_found;
    default: break;
  }
  switch (s) {
    case NATS_NOT_FOUND: return JsErrc::not_found;
    case NATS_NO_RESPONDERS:  // nobody took the request: nothing stored
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER: return JsErrc::not_connected;
    case NATS_TIMEOUT:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_CONNECTION_CLOSED: return sent ? JsErrc::timeout : JsErrc::not_connected;
    default: break;
  }
  return JsErrc::server_error;
}

bool transient(const std::error_code& ec) {
  return ec == JsErrc::timeout || ec == JsErrc::not_connected;
}

StoredMessage stored(natsMsg* m) {
  StoredMessage out;
  out.seq = Seq{natsMsg_GetSequence(m)};
  out.ts = TimestampNs{natsMsg_GetTime(m)};
  out.subject = natsMsg_GetSubject(m);
  if (const char* data = natsMsg_GetData(m); data != nullptr) out.data.assign(data, natsMsg_GetDataLength(m));
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(m, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(m, keys[i], &value) == NATS_OK && value != nullptr) out.headers.emplace_back(keys[i], value);
    }
    std::free(keys);  // NOLINT: libnats hands the array over to the caller
  }
  return out;
}

/// What a message lookup found: the message, nothing (no message there), or
/// why it could not look (no such stream among them).
Result<std::optional<StoredMessage>> found(natsStatus s, jsErrCode code, MsgPtr msg) {
  if (s == NATS_OK) return std::optional<StoredMessage>(stored(msg.get()));
  const auto ec = failure(s, code, false);
  if (ec == JsErrc::not_found && code != JSStreamNotFoundErr) return std::optional<StoredMessage>{};
  return ec;
}

/// A message a consumer delivered: its stream seq and time are in its reply
/// subject's metadata, not in the message.
Result<StoredMessage> delivered(natsMsg* m, std::uint64_t& pending) {
  jsMsgMetaData* meta = nullptr;
  if (const auto s = natsMsg_GetMetaData(&meta, m); s != NATS_OK) return failure(s, jsErrCode{}, false);
  StoredMessage out = stored(m);
  out.seq = Seq{meta->Sequence.Stream};
  out.ts = TimestampNs{meta->Timestamp};
  pending = meta->NumPending;
  jsMsgMetaData_Destroy(meta);
  return out;
}

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

struct Connection::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ConnectOptions options;
  std::size_t known_servers = 0;

  ~Impl() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }

  /// How many servers this client knows of: those it was given and those
  /// the cluster told it about.
  std::size_t servers_known() {
    char** discovered = nullptr;
    int count = 0;
    std::size_t n = known_servers;
    if (natsConnection_GetDiscoveredServers(nc, &discovered, &count) == NATS_OK) {
      n += static_cast<std::size_t>(count);
      for (int i = 0; i < count; ++i) std::free(discovered[i]);  // NOLINT: owned by the caller
      std::free(discovered);                                       // NOLINT
    }
    return n;
  }
};

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
        "names them as nats://user:password@host:port, and the credentials",
        shown, last_error_text(s)));
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

Result<PublishAck> Connection::publish(const Publish& p) {
  if (!connected()) return std::error_code(JsErrc::not_connected);
  natsMsg* raw = nullptr;
  if (const auto s = natsMsg_Create(&raw, p.subject.c_str(), nullptr, p.data.data(), static_cast<int>(p.data.size()));
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
  for (const auto& [key, value] : p.headers)
    if (s == NATS_OK) s = set(key.c_str(), value);
  if (s != NATS_OK) return failure(s, jsErrCode{}, false);

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

struct Subscription::Impl {
  natsSubscription* sub = nullptr;
  ~Impl() {
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
  }
};

Subscription::Subscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Subscription::~Subscription() = default;

Result<std::optional<StoredMessage>> Subscription::next(std::chrono::milliseconds timeout) {
  for (;;) {
    natsMsg* raw = nullptr;
    const auto s = natsSubscription_NextMsg(&raw, impl_->sub, timeout.count());
    MsgPtr msg(raw);
    if (s == NATS_TIMEOUT) return std::optional<StoredMessage>{};
    if (s != NATS_OK) return failure(s, jsErrCode{}, false);
    // Heartbeats and flow control are handled inside libnats; anything
    // else without stream metadata is not an event.
    auto m = delivered(raw, pending_);
    if (m) return std::optional<StoredMessage>(std::move(*m));
  }
}

Result<std::unique_ptr<Subscription>> Connection::follow(std::string_view stream, std::string_view filter, Seq from) {
  const std::string name(stream);
  const std::string subject(filter);
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = name.c_str();
  options.Ordered = true;
  options.Config.DeliverPolicy = from.value <= 1 ? js_DeliverAll : js_DeliverByStartSequence;
  if (from.value > 1) options.Config.OptStartSeq = from.value;
  auto impl = std::make_unique<Subscription::Impl>();
  jsErrCode code{};
  if (const auto s = js_SubscribeSync(&impl->sub, impl_->js, subject.c_str(), nullptr, &options, &code); s != NATS_OK)
    return failure(s, code, false);
  return std::unique_ptr<Subscription>(new Subscription(std::move(impl)));
}

Result<std::vector<StoredMessage>> Connection::read(std::string_view stream, std::string_view filter, Seq from,
                                                    std::size_t max) {
  std::vector<StoredMessage> out;
  if (max == 0) return out;
  auto state = stream_state(stream);
  if (!state) return state.error();
  if (state->last < from || state->messages == 0) return out;
  if (filter.find_first_of("*>") == std::string_view::npos) {
    // One subject: its last message bounds the read, and when it has none
    // from `from` on, no consumer would deliver anything to wait for.
    auto last = last_on_subject(stream, filter);
    if (!last) return last.error();
    if (!*last || (*last)->seq < from) return out;
    state->last = (*last)->seq;
  }
  auto sub = follow(stream, filter, from);
  if (!sub) return sub.error();
  while (out.size() < max) {
    auto m = (*sub)->next(impl_->options.request_timeout);
    if (!m) return m.error();
    if (!*m) return std::error_code(JsErrc::timeout);
    const bool last = (*sub)->pending() == 0 || (*m)->seq >= state->last;
    out.push_back(std::move(**m));
    if (last) break;
  }
  return out;
}

std::error_code Connection::purge(std::string_view stream, std::string_view subject, Seq keep_from) {
  const std::string name(stream);
  const std::string subj(subject);
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = impl_->options.request_timeout.count();
  options.Stream.Purge.Subject = subj.c_str();
  options.Stream.Purge.Sequence = keep_from.value;
  jsErrCode code{};
  if (const auto s = js_PurgeStream(impl_->js, name.c_str(), &options, &code); s != NATS_OK)
    return failure(s, code, true);
  return {};
}

Result<int> Connection::ensure_stream(const StreamSpec& spec, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<const char*> subjects;
  for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
  int replicas = spec.replicas;
  std::error_code last;
  for (;;) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = spec.name.c_str();
    config.Subjects = subjects.data();
    config.SubjectsLen = static_cast<int>(subjects.size());
    config.Storage = js_FileStorage;
    config.Retention = js_LimitsPolicy;
    config.Discard = js_DiscardOld;
    config.Replicas = replicas;
    auto window = spec.duplicate_window;
    if (spec.max_age.count() > 0) window = std::min(window, spec.max_age);
    config.Duplicates = std::chrono::nanoseconds(window).count();
    config.MaxAge = std::chrono::nanoseconds(spec.max_age).count();
    if (spec.max_per_subject > 0) config.MaxMsgsPerSubject = spec.max_per_subject;
    jsStreamInfo* raw = nullptr;
    jsErrCode code{};
    const auto s = js_AddStream(&raw, impl_->js, &config, nullptr, &code);
    std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw);
    if (s == NATS_OK) return static_cast<int>(info->Config->Replicas);
    if (code == JSStreamNameExistErr) {
      auto state = stream_state(spec.name);
      if (!state) return state.error();
      return state->replicas;
    }
    const bool too_few_servers = code == JSStreamReplicasNotSupportedErr ||
                                 ((code == JSInsufficientResourcesErr || code == JSClusterNoPeersErr) &&
                                  impl_->servers_known() < static_cast<std::size_t>(replicas));
    if (replicas > 1 && too_few_servers) {
      spdlog::warn("jetstream: the NATS cluster has fewer than {} servers; stream {} keeps one copy of each event "
                   "(losing its server loses them)",
                   replicas, spec.name);
      replicas = 1;
      continue;
    }
    last = failure(s, code, false);
    // A cluster that is still forming answers with "temporarily
    // unavailable", "insufficient resources" or not at all: wait for it.
    const bool forming = transient(last) || code == JSClusterNotAvailErr || code == JSClusterNotLeaderErr ||
                         code == JSInsufficientResourcesErr || code == JSClusterNoPeersErr ||
                         code == JSClusterIncompleteErr || last == JsErrc::server_error;
    if (!forming || std::chrono::steady_clock::now() >= deadline) {
      spdlog::error("jetstream: cannot create stream {}: {} (error code {})", spec.name, last_error_text(s),
                    static_cast<int>(code));
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace oee::eventlog::jetstream
