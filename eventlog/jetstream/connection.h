#pragma once
// A connection to a NATS JetStream cluster: what the cluster log, its
// leases and its key-value buckets are built on. libnats stays behind this
// header.
//
// Lifecycle: connect() returns a connected client or throws with a message
// that tells the operator what to fix; afterwards the client reconnects by
// itself for as long as it lives, to any server of the cluster.
// Threading: every method is thread-safe and blocking (each is one request
// to the cluster, bounded by its timeout).
// Outages: while no server is reachable, writes fail at once with
// JsErrc::not_connected and nothing is sent; a write sent but not answered
// in time fails with JsErrc::timeout, and then its outcome is unknown (retry
// it with the same msg id: JetStream stores it once).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/errors.h"
#include "eventlog/jetstream/errors.h"
#include "eventlog/types.h"

namespace oee::eventlog::jetstream {

struct ConnectOptions {
  /// nats://[user:password@]host:port or tls://…; several for a cluster.
  std::vector<std::string> urls;
  /// A NATS credentials file (user JWT and seed), for servers that use
  /// decentralised authentication; empty: the URLs' user and password.
  std::string creds_file;
  /// The client name the servers show (the node's name).
  std::string name;
  /// For tls:// URLs: the CA certificates (PEM) the servers' certificates
  /// are checked against; empty: the system's.
  std::string ca_file;
  /// A tool's connection (a user allowed to read, not to write): streams
  /// are opened, never created, nothing is published, and no consumer is
  /// made (streams are followed with message gets).
  bool read_only = false;
  /// Bound on each JetStream request (publish acks have their own).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(5)};
};

/// Splits a comma list of server URLs and checks each (scheme nats:// or
/// tls://, a host and a port). Throws std::invalid_argument naming the bad one.
[[nodiscard]] std::vector<std::string> parse_urls(std::string_view list);

/// One message as a stream stores it.
struct StoredMessage {
  Seq seq;  // the stream's sequence
  std::string subject;
  std::string data;
  TimestampNs ts;  // when the stream stored it
  std::vector<std::pair<std::string, std::string>> headers;
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

/// One publish and the conditions the stream checks before it stores it.
struct Publish {
  std::string subject;
  std::string_view data;
  /// Nats-Msg-Id: a second publish with the same id within the stream's
  /// duplicate window is acknowledged with the first one's seq, not stored.
  std::string msg_id;
  /// Nats-Expected-Last-Sequence: stored only if the stream's last seq is
  /// this one (0: the stream is empty). The fence of an executor's appends.
  std::optional<Seq> expect_last_seq;
  /// Nats-Expected-Last-Subject-Sequence 0: stored only if the subject holds
  /// nothing yet (create-only).
  bool expect_new_subject = false;
  /// Nats-Expected-Last-Msg-Id: stored only if the stream's last message
  /// is the one published with this msg id (chains a pipeline's publishes:
  /// each lands only right after the one before it).
  std::string expect_last_msg_id;
  /// Extra headers, e.g. a key-value operation marker.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

struct PublishAck {
  Seq seq;
  bool duplicate = false;  // the msg id was stored before: `seq` is that message's
};

/// A message sent to this node as a request (Connection::serve).
struct Request {
  std::string subject;
  std::string data;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string reply;  // where the sender awaits the answer; empty: it awaits none
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

/// Requests handled while it lives (Connection::serve).
class Service {
 public:
  /// Returns once the handler runs no more.
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

 private:
  friend class Connection;
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  /// Wanted replicas; a cluster of fewer servers gets one (see ensure_stream).
  int replicas = 3;
  /// How long Nats-Msg-Id values are remembered (at most max_age).
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  /// Messages older than this are dropped; zero: kept for ever.
  std::chrono::milliseconds max_age{0};
  /// Messages kept per subject (older ones dropped); zero: all.
  std::int64_t max_per_subject = 0;
};

struct StreamState {
  Seq first;
  Seq last;  // 0 while empty
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  int replicas = 0;    // configured
  std::string leader;  // the server that orders its writes now
  int current_peers = 0;  // replicas (leader included) that are up to date
};

/// An ordered consumer: every message of a stream (or of the subjects a
/// filter names) from a seq on, in order, each once; libnats re-creates it
/// after a gap or the loss of the server it was on. On a read-only
/// connection no consumer is made: the messages are asked of the stream's
/// leader by seq, and the stream's end every 100 ms.
/// Threading: one thread at a time calls next().
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  /// The next message, waiting up to `timeout`; nothing if none came.
  [[nodiscard]] Result<std::optional<StoredMessage>> next(std::chrono::milliseconds timeout);
  /// Messages the stream held beyond the last one next() returned, when
  /// that one was sent (0: it was the last then).
  [[nodiscard]] std::uint64_t pending() const { return pending_; }

 private:
  friend class Connection;
  struct Impl;
  explicit Subscription(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::uint64_t pending_ = 0;
};

class Connection {
 public:
  [[nodiscard]] static std::unique_ptr<Connection> connect(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connected to a server right now (not reconnecting, not closed).
  [[nodiscard]] bool connected() const;
  /// The URL of the server connected to, without credentials; empty if none.
  [[nodiscard]] std::string server() const;

  [[nodiscard]] Result<PublishAck> publish(const Publish& publish);
  /// Sends every publish before awaiting any answer (a pipeline), and
  /// returns each one's outcome, in order, once all are answered or
  /// `timeout` has passed (JsErrc::timeout for those unanswered: their
  /// outcome is unknown). The stream checks each publish's conditions in
  /// the order sent.
  [[nodiscard]] std::vector<Result<PublishAck>> publish_all(std::span<const Publish> publishes,
                                                            std::chrono::milliseconds timeout);
  /// Sends every message as a request before awaiting any answer, and
  /// returns each one's answer, in order: its body, JsErrc::not_found if
  /// nobody serves its subject, JsErrc::timeout if none came in time.
  [[nodiscard]] std::vector<Result<std::string>> request_all(std::span<const Publish> requests,
                                                             std::chrono::milliseconds timeout);
  /// Hands each message on `subject` to `handler`, on a thread of its own,
  /// until the Service is destroyed; in queue group `queue` (unless empty)
  /// one member of the group gets each. Throws std::runtime_error.
  [[nodiscard]] std::unique_ptr<Service> serve(const std::string& subject, const std::string& queue,
                                               std::function<void(Request)> handler);
  /// Answers a request served here.
  std::error_code respond(const std::string& reply, std::string_view data);
  /// Publishes on core NATS (no stream stores it, nobody acknowledges it):
  /// those subscribed now get it, unless a connection drops it.
  std::error_code send(const std::string& subject, std::string_view data) { return respond(subject, data); }

  /// The message at `seq`, or nothing if the stream has none there.
  [[nodiscard]] Result<std::optional<StoredMessage>> get(std::string_view stream, Seq seq);
  /// The last message on `subject`, or nothing if it holds none.
  [[nodiscard]] Result<std::optional<StoredMessage>> last_on_subject(std::string_view stream, std::string_view subject);
  /// The first message on `subject` (one subject, no wildcard) at or after
  /// `from`, or nothing; asked of the stream's leader.
  [[nodiscard]] Result<std::optional<StoredMessage>> next_on_subject(std::string_view stream, std::string_view subject,
                                                                     Seq from);
  [[nodiscard]] Result<StreamState> stream_state(std::string_view stream);

  /// Follows `stream` from `from`, the subjects matching `filter` (for all
  /// of it: its own wildcard, e.g. oee.p3.>).
  [[nodiscard]] Result<std::unique_ptr<Subscription>> follow(std::string_view stream, std::string_view filter, Seq from);
  /// At most `max` messages from `from` on (matching `filter`), read up to
  /// what the stream held when asked.
  [[nodiscard]] Result<std::vector<StoredMessage>> read(std::string_view stream, std::string_view filter, Seq from,
                                                       std::size_t max);

  /// Removes the messages on `subject` below seq `keep_from`.
  [[nodiscard]] std::error_code purge(std::string_view stream, std::string_view subject, Seq keep_from);

  /// Creates the stream if it does not exist (waiting, up to `wait`, for a
  /// cluster that is still electing its leader) and returns once the stream
  /// answers reads; read-only, finds it. Asks for spec.replicas and
  /// takes one when the cluster has too few servers for them; an existing
  /// stream keeps its replicas. Returns the replicas the stream has.
  [[nodiscard]] Result<int> ensure_stream(const StreamSpec& spec, std::chrono::milliseconds wait);

 private:
  [[nodiscard]] bool answers_reads(const std::string& stream, std::chrono::steady_clock::time_point deadline);
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::eventlog::jetstream
