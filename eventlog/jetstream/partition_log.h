#pragma once
// One partition of the cluster log: the LogPartitionWriter contract over one
// JetStream stream (OEE_P<p>), which every node opens and follows and its
// owner appends to.
//
// Durability: an append's completion runs with a seq once JetStream has
// acknowledged the event (the stream's leader stored it and a majority of
// its replicas hold it) and this node has folded it, so a read after the
// completion sees it. What an acknowledgment survives: docs/SCALING.md.
//
// Who appends: the partition's owner alone (DESIGN, single writer).
// - take_over(): the node becomes the partition's owner with a
//   PartitionTaken event and gets the owner's writer; once another node's
//   PartitionTaken is in the log, none of that writer's appends can land
//   (docs/SCALING.md, the fencing rule).
// - The owner stores the writes that are ready together as one record
//   batch (batch_codec.h), fenced by the stream's expected last seq: the
//   last batch it folded. An event whose order moved past the position it
//   was decided on (AppendCommand::basis, else what this node has folded)
//   is refused with JsErrc::conflict: decide again on the new state.
// - Every other node forwards its writes (an order's first event, a
//   cancel, an amendment, a dead letter's retry or dismissal, a key's
//   event) to the owner, a core NATS request on oee.forward.p<p>; the owner
//   judges each (check_forwarded, the basis) and stores it in its own
//   batches. With no owner (a failover), a write waits for one up to the
//   append timeout, then fails with Errc::no_owner, nothing stored.
// - One order id lands once however many nodes are asked: the owner, the
//   only writer, stores a first event only for an order it does not hold
//   (open, finished lately, or in a segment of finished orders); an
//   idempotency claim that finds its order answers with it, and a request
//   asked again finds where it landed.
// Positions: a record's seq is its position in the partition (dense, from
// 1), carried in its batch; not the stream's seq (docs/SCALING.md).
// Threading: every method is thread-safe. The owner's appends are queued to
// one appender thread, writes for another owner to one forwarder thread;
// folds (the appender's of what it stored, the follower's of the rest) call
// the commit listeners and run completions, in position order, so
// completions must be short.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"

namespace oee::eventlog::jetstream {

/// The type byte of a PartitionTaken record (schemas/cluster_events.fbs),
/// one of the log's own; its order id is all zeros.
inline constexpr std::uint8_t kPartitionTakenType = kFirstLogOwnType;
/// The type byte of a Checkpointed record: the owner wrote a checkpoint of
/// the partition up to a position (payload: that position, fixed64
/// big-endian), and every order finished before it is in a segment of
/// finished orders. (kFirstLogOwnType + 1 is the simulation's start.)
inline constexpr std::uint8_t kCheckpointedType = kFirstLogOwnType + 2;

struct PartitionLogOptions {
  PartitionId partition{};
  /// This node, as its PartitionTaken events and headers name it.
  std::string node;
  /// Tells this run of the node from an earlier one.
  std::string incarnation;
  /// As Options::fold: what the index keeps of each order.
  Fold fold{};
  /// How long an append may wait for JetStream's acknowledgment, retries
  /// included; past it, it fails with std::errc::timed_out (its outcome is
  /// unknown). With no server reachable it fails at once with
  /// Errc::unavailable, nothing sent.
  std::chrono::milliseconds append_timeout{std::chrono::seconds(10)};
  int replicas = 3;
  /// Called on the follower thread when another node's PartitionTaken
  /// ended this node's ownership.
  std::function<void()> on_fenced{};
  /// The cluster's id (EventLogReader::id()).
  std::string log_id{};
  /// Where cursor() and store_cursor() keep a reader's place in this
  /// partition (oee-meta); none: no cursor is kept.
  std::optional<KvBucket> meta{};
  /// The owner checkpoints the open orders (stream OEE_CKPT) once this many
  /// events came since its last checkpoint, or this long passed with any;
  /// opening the partition (a takeover, a restart) reads the latest one and
  /// folds only the events after it.
  std::uint64_t checkpoint_events = 100'000;
  std::chrono::milliseconds checkpoint_after{std::chrono::seconds(30)};
  /// Whether this node's lease on the partition is fresh
  /// (LeaseKeeper::fresh); none: ownership alone decides. The owner's
  /// writer asks it before an effect outside the log (may_act()), and a
  /// takeover before its PartitionTaken goes out.
  std::function<bool()> lease_fresh{};
  /// Judges an event another node forwards to this one, the owner (`begins`:
  /// an order's first): empty to append it, else why not (it is then
  /// answered refused, and nothing is stored). None: every event is taken.
  std::function<std::string(const Record&, bool begins)> check_forwarded{};
  /// Whether this node folds the partition while another node owns it
  /// (until stop_following()). false: it folds only what it stores as the
  /// owner (and, at a takeover, what came since it last did: from the
  /// latest checkpoint if that is newer); meanwhile an order's state,
  /// events and the sets are asked of the owner (oee.read.p<p>, waiting
  /// for one up to the append timeout, then Errc::no_owner), the log's
  /// records are read from the stream, and the listeners hear the batches
  /// every node needs (heard_everywhere) and, while the partition is
  /// watched (watch()), each batch the owner sends on oee.live.p<p> (a
  /// batch that does not come is read from the stream: they miss none, and
  /// hear each record once).
  bool follow_unowned = true;
  /// Whether every node needs a record (`type`, `payload`), not only the
  /// nodes that watch its order (EventLogWriter::watch), given its order's
  /// snapshot before it (empty for its first record). A batch that holds one
  /// is stored on oee.p<p>.s, which a node that does not fold the partition
  /// follows: its listeners hear that batch however little they watch. None:
  /// no record is (a node that does not fold the partition hears only what
  /// it watches).
  std::function<bool(std::uint8_t type, std::string_view payload, std::string_view snapshot_before)>
      heard_everywhere{};
  /// Test hook: whether the acknowledgment of this node's append of
  /// `command`, landed in a pipeline, is dropped as if it had been lost on
  /// the way (the append is then resolved as after a lost answer). None:
  /// never (docs/testing.md, OEE_TEST_LOSE_ACKS).
  std::function<bool(const AppendCommand&)> lose_ack{};
};

class PartitionLog : public LogPartitionWriter {
 public:
  /// Appends this node's PartitionTaken at the partition's tail and, once
  /// it is folded, returns the writer the owner's executor appends through:
  /// the same log, except that its appends fail with JsErrc::fenced once
  /// this ownership has ended (another node's PartitionTaken, or release()),
  /// and none of them lands after another node's PartitionTaken. It must
  /// not outlive this log.
  [[nodiscard]] virtual Result<std::unique_ptr<LogPartitionWriter>> take_over() = 0;
  /// Ends this node's ownership (its lease was lost or given up).
  virtual void release() = 0;
  [[nodiscard]] virtual bool owned() const = 0;
  [[nodiscard]] virtual PartitionId partition() const = 0;
  /// Appends refused because the partition had moved on (then retried or
  /// answered): how contended the partition is.
  [[nodiscard]] virtual std::uint64_t refused_appends() const = 0;
  /// The seq of the checkpoint this log was opened from (0: none, every
  /// event was folded).
  [[nodiscard]] virtual Seq opened_from() const = 0;
  /// Whether the order's events are in this partition: its own (hashed)
  /// one, or its parent's for a child order (a recurring order's slice).
  /// Answered from memory for an open order, else with one request.
  [[nodiscard]] virtual Result<bool> holds(const OrderId& order) const = 0;
  /// Writes this node forwarded to the partition's owner (counted when sent).
  [[nodiscard]] virtual std::uint64_t forwarded_appends() const = 0;
  /// Reads of the partition this node answered, as its owner, for other
  /// nodes: one per request.
  [[nodiscard]] virtual std::uint64_t answered_reads() const = 0;
  /// Messages that came on the partition's subjects and were refused, since
  /// this node started: batches heard live that were not its owner's as
  /// its stream shows (heard from the stream instead), and forwards this
  /// node, as its owner, would not store.
  struct Refused {
    std::uint64_t live_batches = 0;
    std::uint64_t forwards = 0;
  };
  [[nodiscard]] virtual Refused refused_messages() const = 0;
  /// From now on, folds only what this node owns (as follow_unowned false).
  virtual void stop_following() = 0;
  /// Whether this node folds the partition now: it owns it, or follows it.
  [[nodiscard]] virtual bool folds() const = 0;
  /// The last position the partition's stream holds (read from it).
  [[nodiscard]] virtual Result<Seq> last_stored() const = 0;
};

/// Creates the partition's stream if the cluster has none, folds every
/// event in it and follows it. Throws std::runtime_error, saying what to
/// check, when the cluster cannot be read. Shared: the owner's writers
/// take_over() hands out hold it weakly, and answer Errc::closed once it
/// is gone.
[[nodiscard]] std::shared_ptr<PartitionLog> open_partition(Connection& connection, PartitionLogOptions options);

}  // namespace oee::eventlog::jetstream
