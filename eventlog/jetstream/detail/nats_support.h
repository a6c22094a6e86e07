#pragma once
// What the connection's files share (connection.cpp: connecting,
// publishing, lookups; consumers.cpp: following and reading streams;
// streams.cpp: creating and purging them): libnats handles, the mapping
// of its failures to JsErrc, and the connection's state.

#include <nats/nats.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "eventlog/jetstream/connection.h"

namespace oee::eventlog::jetstream::detail {

class PipelinedReplies;  // detail/pipelined_replies.h
struct PipelinedRepliesDeleter {
  void operator()(PipelinedReplies* r) const;
};

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* s) const { jsStreamInfo_Destroy(s); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

/// "nats://user:secret@host:4222" → "nats://host:4222": what logs and errors show.
inline std::string without_credentials(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) return std::string(url);
  return std::string(url.substr(0, scheme_end + 3)) + std::string(url.substr(at + 1));
}

inline std::string last_error_text(natsStatus s) {
  natsStatus ignored = NATS_OK;
  const char* text = nats_GetLastError(&ignored);
  return text != nullptr && *text != '\0' ? text : natsStatus_GetText(s);
}

/// What a failed JetStream call means to a caller. `sent`: the request may
/// have reached the cluster, so a lost answer leaves its outcome unknown.
inline std::error_code failure(natsStatus s, jsErrCode code, bool sent) {
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

inline bool transient(const std::error_code& ec) {
  return ec == JsErrc::timeout || ec == JsErrc::not_connected;
}

inline StoredMessage stored(natsMsg* m) {
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
inline Result<std::optional<StoredMessage>> found(natsStatus s, jsErrCode code, MsgPtr msg) {
  if (s == NATS_OK) return std::optional<StoredMessage>(stored(msg.get()));
  const auto ec = failure(s, code, false);
  if (ec == JsErrc::not_found && code != JSStreamNotFoundErr) return std::optional<StoredMessage>{};
  return ec;
}

/// A message a consumer delivered: its stream seq and time are in its reply
/// subject's metadata, not in the message.
inline Result<StoredMessage> delivered(natsMsg* m, std::uint64_t& pending) {
  jsMsgMetaData* meta = nullptr;
  if (const auto s = natsMsg_GetMetaData(&meta, m); s != NATS_OK) return failure(s, jsErrCode{}, false);
  StoredMessage out = stored(m);
  out.seq = Seq{meta->Sequence.Stream};
  out.ts = TimestampNs{meta->Timestamp};
  pending = meta->NumPending;
  jsMsgMetaData_Destroy(meta);
  return out;
}


}  // namespace oee::eventlog::jetstream::detail

namespace oee::eventlog::jetstream {

struct Connection::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ConnectOptions options;
  std::size_t known_servers = 0;
  std::unique_ptr<detail::PipelinedReplies, detail::PipelinedRepliesDeleter> replies;  // publish_all's answers

  ~Impl() {
    replies.reset();
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

}  // namespace oee::eventlog::jetstream
