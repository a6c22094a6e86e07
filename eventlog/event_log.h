#pragma once
// The write-ahead event log: the single source of truth, the queue and the
// audit trail of oee. This is the contract; two backends keep it: the
// embedded one (eventlog/rocksdb/, the default) and the cluster's
// (eventlog/jetstream/), and nothing above eventlog/ knows which it has.
// What a log can do is its type: an EventLogReader follows it and reads an
// order's events, and answers what its order index knows
// (order_index_view.h); a LogPartitionReader also reads it in position
// order; an EventLogWriter appends; a LogPartitionWriter does both.
//
// Durability contract: when an append's completion runs with a seq, the
// event and everything written with it (idempotency claim, set membership,
// the record of an order it finishes) are in the log as one atomic unit.
// What it then survives is the backend's to say (rocksdb/rocksdb_log.h:
// Durability::sync survives kill -9 and power loss; jetstream/partition_log.h).
//
// Threading: every method is thread-safe. Appends are queued to a writer
// thread which commits whatever is queued together and then runs
// completions on that thread, so completions must be short (post to your
// own executor).
//
// Events only: an append writes its event and little else. Each order's
// latest state and the seqs of its events live in memory (the order index)
// while it is open; a finished order gets one record, written with its last
// event. Every so many events the writer checkpoints the open orders, so
// opening the log reads the latest checkpoint and folds the events after
// it (Options::fold), instead of a per-event index.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/errors.h"
#include "eventlog/histogram.h"
#include "eventlog/order_index_view.h"
#include "eventlog/types.h"

namespace oee::eventlog {

/// One event as stored in the log.
struct Record {
  Seq seq;
  OrderId order;
  TimestampNs ts;
  std::uint8_t type = 0;  // oee::fb::EventType; opaque to the log
  std::string payload;    // flatbuffer of that event type; opaque to the log
  /// The cluster partition whose seq `seq` is; none in the embedded log.
  std::optional<PartitionId> partition{};
};

/// Record types from here up are the log's own (a cluster partition's
/// PartitionTaken), neither an order's nor an API key's: readers above
/// the log that read a partition (partition(p).read()) skip them, and the
/// cluster's log of all partitions keeps them from its listeners.
inline constexpr std::uint8_t kFirstLogOwnType = 200;
[[nodiscard]] constexpr bool is_log_own_type(std::uint8_t type) { return type >= kFirstLogOwnType; }

/// An idempotency claim: `key` maps to the command's order with a
/// fingerprint of the request body (order_index_view.h's IdempotencyEntry).
struct IdempotencyClaim {
  std::string key;
  std::string fingerprint;
};

/// Everything one command writes: one event plus what it changes in the
/// order index. All of it lands in the same WriteBatch.
struct AppendCommand {
  OrderId order;
  TimestampNs ts;  // event time; the log stamps now() when left at 0
  std::uint8_t type = 0;
  std::string payload;
  /// The order's folded state after this event, opaque to the log: held in
  /// memory, written only in checkpoints and finished-order records.
  std::string snapshot;
  /// The event finishes its order: it leaves the active set, and its record
  /// (this snapshot and every seq of it) is written with the event. An
  /// order's later event opens it again.
  bool finishes = false;
  /// The event begins its order (its first): the log looks for no earlier
  /// record of it.
  bool begins = false;
  std::vector<std::pair<OrderSet, bool>> set_membership;  // (set, member?); not `active`
  std::optional<IdempotencyClaim> idempotency;
  /// The order's last seq the event was decided on. A log other nodes
  /// append to refuses the event (JetStream: JsErrc::conflict) once the
  /// order has a later one; none: decided on what this node has folded
  /// when it appends. A log one process writes has nobody to race with.
  std::optional<Seq> basis{};
};

struct AppendOutcome {
  Seq seq;                  // of the appended event; 0 if `existing` is set
  TimestampNs ts;
  /// Set when the idempotency key was already claimed: nothing was written.
  std::optional<IdempotencyEntry> existing;
};

using AppendCompletion = std::function<void(Result<AppendOutcome>)>;
struct AppendRequest {
  AppendCommand command;
  AppendCompletion done;
};
/// Called on the writer thread after each durable commit, in seq order.
using CommitListener = std::function<void(std::span<const Record>)>;

/// A stored value exactly as found, for audit tools that must report the
/// seq of a value that does not decode.
struct RawRecord {
  Seq key;
  std::string value;
};

/// What opening the log, and refresh(), fold each event after the latest
/// checkpoint with: the order's snapshot before it (empty for a new order)
/// gives its snapshot after, and whether it finishes. An error refuses a
/// primary's start; a secondary skips the event (its audit reports it).
struct FoldedEvent {
  std::string snapshot;
  bool finishes = false;
};
using Fold = std::function<Result<FoldedEvent>(std::string_view previous_snapshot, const Record& record)>;

enum class Durability { sync, async };
[[nodiscard]] std::string_view durability_name(Durability d);  // "sync", "async"

/// What the log's storage holds in memory, in bytes.
struct MemoryUse {
  std::uint64_t memtables = 0;      // writes not yet in table files
  std::uint64_t table_readers = 0;  // open table files' indexes and filters outside the block cache
  std::uint64_t block_cache = 0;    // cached table blocks, indexes and filters
  std::uint64_t block_cache_capacity = 0;
  std::uint64_t memtable_limit = 0;
};

struct Stats {
  metrics::Histogram append_latency_seconds{metrics::Histogram::latency_buckets()};
  metrics::Histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> failed_commits{0};
  std::atomic<std::uint64_t> recoveries{0};  // times writes resumed after the storage failed
  std::atomic<std::uint64_t> rests{0};       // times it came to rest: memtables flushed, heap trimmed
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> open_orders{0};  // in the order index
  /// Events that decode but are illegal in their order's state, skipped
  /// for that order (Errc::illegal): a log one process writes refuses to
  /// open with one instead.
  std::atomic<std::uint64_t> illegal_events{0};
};

/// Keeps a commit listener registered until reset() or destruction. Once
/// reset() returns, the listener is not running and will not run again;
/// called from inside that listener, the call in progress finishes. May
/// outlive the log.
class CommitSubscription {
 public:
  CommitSubscription() = default;
  explicit CommitSubscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  CommitSubscription(CommitSubscription&& other) noexcept : cancel_(std::exchange(other.cancel_, nullptr)) {}
  CommitSubscription& operator=(CommitSubscription&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::exchange(other.cancel_, nullptr);
    }
    return *this;
  }
  CommitSubscription(const CommitSubscription&) = delete;
  CommitSubscription& operator=(const CommitSubscription&) = delete;
  ~CommitSubscription() { reset(); }

  void reset() {
    if (auto cancel = std::exchange(cancel_, nullptr)) cancel();
  }
  [[nodiscard]] explicit operator bool() const { return static_cast<bool>(cancel_); }

 private:
  std::function<void()> cancel_;
};

class LogPartitionReader;

/// What any open log does: follow and wait for events, read an order's,
/// and answer what its order index knows. A log in several partitions (a
/// cluster's) is read in position order partition by partition
/// (partition(p)); a log of one sequence of positions is also a
/// LogPartitionReader. A secondary (open_secondary: tools, audits, a
/// projector beside the server) holds no writer; nothing that holds one
/// can write.
class EventLogReader : public OrderIndexView {
 public:
  /// Last durable seq (0 when empty). In a log of several partitions, the
  /// events folded over all of them: it only grows, for lags.
  [[nodiscard]] virtual Seq head() const = 0;
  /// Every event of one order, in seq order, starting at `from`.
  [[nodiscard]] virtual Result<std::vector<Record>> read_order(OrderId order, Seq from = Seq{0}) const = 0;

  /// Blocks until head() > after or the timeout passes; returns head().
  virtual Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const = 0;

  /// Catches up with the primary's writes (a primary is always current and
  /// returns head()). Events and head() are then current, and the order
  /// index follows by folding the new events. Stored entries (finished-order
  /// records, sets, cursors) can stay stale once the primary has restarted
  /// since this secondary opened (RocksDB 7.8 keeps replayed entries in
  /// memory): audits that read them open a fresh secondary.
  [[nodiscard]] virtual Result<Seq> refresh() = 0;

  /// A random id the log is given when it is created: tells this log from
  /// another one (a deleted and recreated data directory, another server)
  /// that also counts seqs from 1. Empty for a log created before ids, as
  /// long as only secondaries have opened it since.
  [[nodiscard]] virtual const std::string& id() const = 0;

  /// Approximate bytes on disk.
  [[nodiscard]] virtual std::uint64_t disk_bytes() const = 0;
  [[nodiscard]] virtual MemoryUse memory() const = 0;

  /// A log in several partitions (a cluster's) numbers each partition's
  /// events on their own, so seqs of different partitions do not compare.
  /// An order's events are all in one partition. A log of one partition
  /// (the embedded one) is its own partition 0.
  [[nodiscard]] virtual std::uint32_t partition_count() const { return 1; }
  /// Whether positions in this log go partition by partition (a cluster's,
  /// whatever its count; eventlog/position.h).
  [[nodiscard]] virtual bool partitioned() const { return false; }
  /// The partition an order's events are in, as far as this reader knows
  /// without asking (a cluster's child order is in its parent's partition:
  /// known once the order was read here, or its creation followed).
  [[nodiscard]] virtual PartitionId partition_of(const OrderId& order) const {
    (void)order;
    return PartitionId{0};
  }
  /// The same, looked for if need be.
  [[nodiscard]] virtual Result<PartitionId> find_partition(const OrderId& order) const { return partition_of(order); }
  /// Partition p (< partition_count()) as a log of its own: its seqs,
  /// head(), read() and refresh(). Lives as long as this log.
  [[nodiscard]] virtual LogPartitionReader& partition(PartitionId p) = 0;
  [[nodiscard]] virtual const LogPartitionReader& partition(PartitionId p) const = 0;
};

/// A log of one sequence of positions (the embedded log, or one partition
/// of a cluster's): read in position order, with named cursors into it.
class LogPartitionReader : public virtual EventLogReader {
 public:
  /// Events with seq >= from, at most max of them, in seq order.
  [[nodiscard]] virtual Result<std::vector<Record>> read(Seq from, std::size_t max) const = 0;
  /// Values with seq >= from, undecoded (see record_codec.h).
  [[nodiscard]] virtual Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const = 0;
  /// Named consumer cursors, stored in the log.
  [[nodiscard]] virtual Result<Seq> cursor(std::string_view name) const = 0;

  /// A log of one partition is its own partition 0.
  [[nodiscard]] LogPartitionReader& partition(PartitionId) override { return *this; }
  [[nodiscard]] const LogPartitionReader& partition(PartitionId) const override { return *this; }
};

/// A log that appends (the embedded primary, a cluster's partitions seen
/// as one, a partition's owner): one process holds it and appends.
class EventLogWriter : public virtual EventLogReader {
 public:
  /// Queues a command; `done` runs once, on the writer thread.
  virtual void append(AppendCommand command, AppendCompletion done) = 0;
  /// Queues several commands at once, in order: one wake of the writer for
  /// all of them. Each `done` runs once, on the writer thread.
  virtual void append_all(std::vector<AppendRequest> requests) = 0;

  /// Registers a listener for committed events, until the subscription is
  /// reset. Listeners added before the first append see every event.
  [[nodiscard]] virtual CommitSubscription on_commit(CommitListener listener) = 0;
  /// While the returned handle lives (it resets like a CommitSubscription),
  /// the listeners hear every record of partition `p` as it is committed:
  /// what a WebSocket that follows an order there needs. Without one they
  /// may hear only the records every node needs (a cluster node that does
  /// not execute `p`: PartitionLogOptions::heard_everywhere); with one, a
  /// read made after watch() returned and the records heard after it miss
  /// none between them. A log whose listeners hear everything anyway (the
  /// embedded one) returns an empty handle.
  [[nodiscard]] virtual CommitSubscription watch(PartitionId p) {
    (void)p;
    return {};
  }

  /// Why appends are refused right now (the storage failed a write: a full
  /// disk, an I/O error), or empty while the log takes them. Once a write
  /// has failed, appends fail fast with Errc::unavailable and nothing is
  /// acknowledged; the writer retries the storage's recovery with backoff
  /// (100 ms doubling to 2 s) and takes appends again by itself once it
  /// succeeds. Reads and tails go on meanwhile. After a close() whose
  /// flush failed, what failed.
  [[nodiscard]] virtual std::string write_error() const = 0;

  /// Whether whoever appends through this writer may cause an effect
  /// outside the log now (send a transaction): always for the embedded
  /// log; for a cluster partition's owner, while it still owns the
  /// partition and its lease is fresh. Checked just before the effect, it
  /// narrows the window of a paused owner; what closes it is the effect's
  /// own identity (a signature has one outcome), never this check.
  [[nodiscard]] virtual bool may_act() const { return true; }

  [[nodiscard]] virtual const Stats& stats() const = 0;

  /// Drains queued appends (completing them), stops the writer, writes a
  /// checkpoint and flushes the memtables, so the next start replays
  /// nothing. Returns what failed
  /// (the flush is skipped while the storage is failing: write_error()).
  /// Idempotent; later calls return success.
  virtual std::error_code close() = 0;
};

/// A log of one sequence of positions that appends (open_primary; a
/// cluster partition's owner): what keeps a consumer's place in it.
class LogPartitionWriter : public EventLogWriter, public LogPartitionReader {
 public:
  virtual void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) = 0;
};

}  // namespace oee::eventlog
