#pragma once
// The owner's appender: the writes ready together (this node's own, and
// those other nodes forward to it) go out as one record batch, fenced on
// the stream's last sequence; a takeover goes alone. Each write is judged
// first, on what the partition log has folded: a first event whose order
// exists (another request's, or this request's retried) and an event whose
// order moved past its basis do not go out.
//
// Every batch is stored at a Tail passed to it: the ownership it goes in,
// and the stream seq and position it must follow. The stream refuses it if
// anything came after that seq (the fence), so nothing another node wrote
// (its PartitionTaken) comes between what the writes were judged on and
// them.
//
// Threads: one of its own (oee-js-append); push() from any thread. Its
// only lock is its queue's, a leaf. The thread calls the Stream holding
// nothing: Stream::tail() and stored() take the partition log's fold lock.

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/queued_write.h"
#include "eventlog/jetstream/detail/write_queue.h"

namespace oee::eventlog::jetstream::detail {

/// How a writer's (<node>/<incarnation>) batches' and takeovers' msg ids
/// begin (the rest: the first position, and for a batch its data's CRC32C).
[[nodiscard]] std::string batch_id_prefix(std::string_view writer);
[[nodiscard]] std::string takeover_id_prefix(std::string_view writer);

class BatchAppender {
 public:
  /// Where a batch goes, read together under the fold lock.
  struct Tail {
    std::optional<Ownership> ownership;  // this node's, if it owns the partition
    Seq taken_at;                        // where that ownership began: its PartitionTaken's position
    Seq stream_seq;                      // the last message folded: the batch expects it as the stream's last
    Seq next_position;                   // the batch's first position
  };
  /// A write's request found stored, or its order's state.
  struct Found {
    Seq landed{};               // a record of this request, if one is stored
    bool order_exists = false;  // the order has records
    Seq last{};                 // its last record's position
    std::string fingerprint;    // its first record's idempotency fingerprint
  };

  /// What the appender asks of the partition log that owns it (and stops
  /// it before anything it calls goes).
  class Stream {
   public:
    virtual ~Stream() = default;
    [[nodiscard]] virtual Tail tail() const = 0;
    [[nodiscard]] virtual bool owns(Ownership ownership) const = 0;
    /// Whether this node's lease on the partition is fresh.
    [[nodiscard]] virtual bool lease_fresh() const = 0;
    /// Whether q's request is stored already, and its order's state.
    [[nodiscard]] virtual Result<Found> find_request(const QueuedWrite& q) const = 0;
    /// The subject a batch is stored on.
    [[nodiscard]] virtual std::string subject_of(const Batch& batch) const = 0;
    /// Folds a batch this node stored at `stream_seq`, then sends it live.
    virtual void stored(Batch batch, Seq stream_seq, std::string_view data) = 0;
    /// Folds what the stream holds beyond what is folded, up to its end now.
    [[nodiscard]] virtual std::error_code catch_up(Clock::time_point deadline) = 0;
    /// Before a takeover's first try: reads less if a checkpoint allows.
    [[nodiscard]] virtual std::error_code before_takeover() = 0;
    /// Answers a write (counted as the log's).
    virtual void finish(QueuedWrite& q, Result<AppendOutcome> outcome, Clock::time_point started) = 0;
    /// A write that can no longer go out from here (fenced, or forwarded).
    virtual void reroute(QueuedWrite& q) = 0;
  };

  struct Settings {
    PartitionId partition;
    std::string stream;  // the partition's stream
    std::string writer;  // <node>/<incarnation>
    std::chrono::milliseconds append_timeout;
    /// A test probe: the batch's acknowledgment is dropped as if lost.
    std::function<bool(const AppendCommand&)> lose_ack;
  };

  BatchAppender(Connection& connection, Settings settings, Stream& stream);
  ~BatchAppender() { stop(); }
  BatchAppender(const BatchAppender&) = delete;
  BatchAppender& operator=(const BatchAppender&) = delete;

  /// Queues the write; false (it stays with the caller) once stopping.
  [[nodiscard]] bool push(QueuedWrite& q) { return queue_.push(q); }
  /// Stores what is queued, then joins the thread.
  void stop();
  /// Batches the stream refused (another writer came first).
  [[nodiscard]] std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  /// Which queued writes go out together, a fresh rule per run: what waits
  /// together, up to a NATS message's worth (records and payload bytes); a
  /// takeover alone.
  [[nodiscard]] static WriteQueue::Joins run_rule();

 private:
  /// What the owner makes of a queued write before it goes out.
  struct Judged {
    enum Verdict { append, same_as_earlier, landed, exists, moved, failed };
    Verdict verdict = append;
    Seq at{};                 // landed: where (a retry of a stored write)
    std::string fingerprint;  // exists: the order's idempotency fingerprint
    std::error_code error{};  // failed
    Judged(Verdict v, Seq where = {}, std::string fp = {}) : verdict(v), at(where), fingerprint(std::move(fp)) {}
    Judged(std::error_code e) : verdict(failed), error(e) {}
  };
  /// An order's write taken into the run being judged.
  struct InRun {
    std::string request;
    /// Begun in this run with a client's key: what a replay of the key is
    /// compared with, for the order's first record is not stored yet.
    std::optional<std::string> begun_with;
  };
  using RunWrites = std::unordered_map<OrderId, InRun, OrderIdHash>;
  struct Stored {
    Seq first;       // the batch's first position
    Seq stream_seq;  // the message's
  };

  void run();
  void publish_takeover(QueuedWrite& q);
  /// Judges the run's writes, stores those that go out as one batch, and
  /// completes every write of the run.
  void publish_batch(std::vector<QueuedWrite>& run);
  [[nodiscard]] Judged judge(const QueuedWrite& q, RunWrites& in_run);
  /// The batch entry a queued write becomes (its payload moves into it).
  [[nodiscard]] static BatchEntry entry_of(QueuedWrite& q);
  /// Stores `batch` at `tail` (its positions are set here), retrying a lost
  /// answer until `deadline`, and has it folded. JsErrc::fenced: another
  /// node took the partition over; JsErrc::wrong_last_sequence: something
  /// else came first (folded now): judge again.
  [[nodiscard]] Result<Stored> store_batch(Batch& batch, const Tail& tail, Clock::time_point deadline);
  [[nodiscard]] bool lose_ack_of(const Batch& batch) const;

  Connection& connection_;  // the cluster's, which outlives the partition log
  const Settings settings_;
  Stream& stream_;  // the partition log, which owns this
  std::atomic<std::uint64_t> refused_{0};
  WriteQueue queue_;     // its own lock
  std::thread thread_;  // last: started once the rest is
};

}  // namespace oee::eventlog::jetstream::detail
