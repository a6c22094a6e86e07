#pragma once
// JetStream implementation of PartitionLog (partition_log.h).
//
// Stored message, one per record batch, on the partition's stream:
//   subject  oee.p<p>.b
//   data     batch_codec.h: the records (each with its request id, and
//            begins, sets, fingerprint) and the batch's first position
//   headers  Nats-Msg-Id   b/<node>/<incarnation>/<first position>~<crc32c>
//                          (a takeover: taken/<node>/<incarnation>/<first>)
//            Oee-Batch     <first position>+<records>: what a reader looking
//                          for a position needs without decoding the batch
//   expects  Nats-Expected-Last-Sequence: the stream seq of the last batch
//            folded here (the fence)
// A forward (a request to the owner): forward_wire.h.
//
// The log is the partition's stream as this node sees it: it follows the
// stream, folds what it holds into the order index and answers reads. Its
// parts, each in a class of its own that states its thread and locks:
//   PartitionOwnership (partition_ownership.h)  whether this node owns the
//                   partition, and which of its ownerships that is
//   BatchAppender (batch_appender.h)  the owner's fenced batches and
//                   takeovers, at a Tail this log gives it
//   OwnerServices (owner_services.h)  other nodes' forwards and reads,
//                   served while owned
//   Forwarder (forwarder.h)  this node's writes while another node owns it
//   OwnerReader (owner_reader.h)  reads asked of the owner while behind
//   Checkpointer (checkpointer.h)  the owner's checkpoints and segments
// The log owns each part, and close() stops each before anything it calls
// goes (stop_parts()).
//
// Threads (each names itself for top -H and perf):
//   oee-js-append   the BatchAppender's; it folds each batch it stored
//                   (stored(), under fold_mu_).
//   oee-js-forward  the Forwarder's.
//   oee-js-follow   the follower (this class): consumes the stream in order
//                   and folds what this node did not store itself; behind
//                   (neither owned nor followed), it hears what every node
//                   needs.
//   oee-js-ckpt     the Checkpointer's.
//   NATS handlers   the OwnerServices' and, behind and watched, the owner's
//                   live batches (on_live).
// A fold (one at a time, under fold_mu_) applies each record to the order
// index, calls the listeners and runs the completions of appends up to the
// position it folded. Every field below says its thread or its mutex.
//
// Lock order (a mutex is taken only after those to its left):
//   watch_mu_ -> fold_mu_ -> OwnerServices' -> PartitionOwnership's
//   fold_mu_ -> the Checkpointer's -> PartitionOwnership's
// Leaves, taken under any of these and holding nothing: head_mu_, the
// BatchAppender's and the Forwarder's queues, and the small parts' own
// (FinishedOrders, OrderSets, RecentRequests, BatchPositions, BurstCounter,
// OwnerReader). A fold calls the listeners and on_fenced under fold_mu_:
// they must not call back into this log's writes. A fold that sees another
// node's takeover stops the OwnerServices under fold_mu_, which waits for
// their handlers: they take leaves only, never fold_mu_.

#include <condition_variable>
#include <unordered_map>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "eventlog/detail/commit_listeners.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/batch_appender.h"
#include "eventlog/jetstream/detail/burst_counter.h"
#include "eventlog/jetstream/detail/checkpoint_store.h"
#include "eventlog/jetstream/detail/checkpointer.h"
#include "eventlog/jetstream/detail/finished_orders.h"
#include "eventlog/jetstream/detail/finished_segments.h"
#include "eventlog/jetstream/detail/forwarder.h"
#include "eventlog/jetstream/detail/order_sets.h"
#include "eventlog/jetstream/detail/owner_reader.h"
#include "eventlog/jetstream/detail/owner_services.h"
#include "eventlog/jetstream/detail/partition_ownership.h"
#include "eventlog/jetstream/detail/recent_requests.h"
#include "eventlog/jetstream/detail/stored_batches.h"
#include "eventlog/jetstream/partition_log.h"

namespace oee::eventlog::jetstream::detail {

class JetStreamPartitionLog final : public PartitionLog,
                                    public std::enable_shared_from_this<JetStreamPartitionLog>,
                                    private BatchAppender::Stream,
                                    private Forwarder::Log,
                                    private OwnerServices::Owner {
 public:
  JetStreamPartitionLog(Connection& connection, PartitionLogOptions options);
  ~JetStreamPartitionLog() override;

  // EventLogReader
  /// What this node knows the partition holds: what it folded or, behind,
  /// what its listeners heard.
  Seq head() const override {
    const Seq f = folded();
    return behind() ? std::max(f, Seq{heard_.load(std::memory_order_acquire)}) : f;
  }
  Result<std::vector<Record>> read(Seq from, std::size_t max) const override;
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override;
  Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const override;
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override;
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override;
  Result<std::vector<std::optional<OrderSnapshotEntry>>> snapshots(std::span<const OrderId> orders) const override;
  Result<std::optional<Checkpoint>> checkpoint() const override;
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override;
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override;
  Result<Seq> refresh() override { return behind() ? stored_head() : Result<Seq>(head()); }
  bool partitioned() const override { return true; }
  Result<Seq> cursor(std::string_view name) const override;
  const std::string& id() const override { return options_.log_id; }
  std::uint64_t disk_bytes() const override;
  MemoryUse memory() const override { return {}; }

  // LogPartitionWriter
  void append(AppendCommand command, AppendCompletion done) override;
  void append_all(std::vector<AppendRequest> requests) override;
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override;
  CommitSubscription on_commit(CommitListener listener) override { return listeners_->add(std::move(listener)); }
  /// `p` is this partition's.
  CommitSubscription watch(PartitionId p) override;
  std::string write_error() const override;
  const Stats& stats() const override { return *stats_; }
  std::error_code close() override;

  // PartitionLog
  Result<std::unique_ptr<LogPartitionWriter>> take_over() override;
  void release() override;
  bool owned() const override;  // and Forwarder::Log's
  PartitionId partition() const override { return options_.partition; }
  std::uint64_t refused_appends() const override { return appender_ ? appender_->refused() : 0; }
  Seq opened_from() const override { return opened_from_; }
  Result<bool> holds(const OrderId& order) const override;
  std::uint64_t forwarded_appends() const override { return forwarder_ ? forwarder_->forwarded() : 0; }
  std::uint64_t answered_reads() const override { return services_.answered_reads(); }
  Refused refused_messages() const override { return {refused_live_.total(), services_.refused()}; }
  void stop_following() override;
  bool folds() const override { return !behind(); }
  Result<Seq> last_stored() const override { return stored_head(); }

  /// Folds the stream up to its current end (opening blocks on this).
  void catch_up_at_open();
  /// Throws, saying what to do, if the stream holds the format before
  /// record batches.
  void refuse_older_format();
  /// An append of the owner's writer, made in ownership `ownership`.
  void append_owned(AppendCommand command, AppendCompletion done, Ownership ownership);
  /// Whether ownership `ownership` is still this node's.
  [[nodiscard]] bool owns(Ownership ownership) const override;
  /// Whether this node's lease on the partition is fresh (true when no
  /// lease is kept).
  [[nodiscard]] bool lease_fresh() const override { return !options_.lease_fresh || options_.lease_fresh(); }

 private:
  using Queued = QueuedWrite;

  // partition_follow.cpp: the follower (partition_log.cpp: the folds).
  void follow_loop();
  /// Decodes the stream's messages and folds them (fold_batches).
  void fold_messages(const std::vector<StoredMessage>& messages);
  /// Folds the batches, each stored at its stream seq, in order: what this
  /// node has folded already is passed over. Then the listeners hear the
  /// records and the appends they complete are answered.
  void fold_batches(std::vector<std::pair<Batch, Seq>>& batches);
  /// Whether the partition may hold `position`: this node folded it or,
  /// behind, the stream holds it.
  [[nodiscard]] Result<bool> stores_position(Seq position) const;
  /// The records at positions `from` on, at most `max`.
  [[nodiscard]] Result<std::vector<Record>> read_positions(Seq from, std::size_t max) const;
  void fold_event(const BatchEntry& e, const std::string& batch_writer);
  /// Notes where another node's request landed (fold).
  void remember_request(const BatchEntry& e, const std::string& batch_writer);
  /// Where a request's write landed, if it was stored lately.
  [[nodiscard]] std::optional<RecentRequests::Landed> stored_request(const std::string& request) const {
    return landed_requests_.find(request);
  }
  void fold_taken(const Record& r);
  // partition_reads.cpp
  /// An order's state and positions: open, finished lately, or from the
  /// segments of finished orders; nothing if the partition never had it.
  [[nodiscard]] Result<std::optional<IndexedOrder>> order_record(const OrderId& order) const;
  /// The same from this node's fold alone (memory, then the segments).
  [[nodiscard]] Result<std::optional<IndexedOrder>> folded_record(const OrderId& order) const;
  /// A finished order's record as stored for when the fold no longer holds
  /// it: noted for the next segment, or in one.
  [[nodiscard]] Result<std::optional<IndexedOrder>> stored_finish(const OrderId& order) const;
  /// The record an event is folded on: order_record, but a takeover's
  /// catch-up does not wait on a last owner that is silent.
  [[nodiscard]] Result<std::optional<IndexedOrder>> record_to_fold(const OrderId& order) const;
  /// The same for a reader: in doubt, the owner's if another node answers;
  /// nothing only if the stream holds nothing this node's fold lacks
  /// (nothing_stored_beyond).
  [[nodiscard]] Result<std::optional<IndexedOrder>> read_record(const OrderId& order) const;
  /// A reader's "no such order" from a fold that may lack what was stored
  /// last: a follower's lags, and a node that takes itself for the owner
  /// may not have learnt yet that another took the partition over (it has
  /// not written since). The owner's fold decides if it is still the
  /// partition's whole state (fold_still_whole, else Errc::no_owner); a
  /// follower asks the owner.
  [[nodiscard]] Result<std::optional<IndexedOrder>> nothing_stored_beyond(const OrderId& order) const;
  /// The order's state after its events up to `through`.
  [[nodiscard]] Result<std::optional<IndexedOrder>> fold_order(const OrderId& order, Seq through) const;
  /// The seqs of an order's events (open or finished).
  [[nodiscard]] Result<std::vector<Seq>> order_seqs(const OrderId& order) const;

  // partition_owner_reads.cpp: while this node neither owns nor follows
  // the partition (follow_unowned false), its fold is behind: what it is
  // asked about an order is asked of the owner, which serves it.
  /// Whether this node's fold may be behind the partition: it neither
  /// owns nor follows it.
  [[nodiscard]] bool behind() const { return !folds_unowned_.load(std::memory_order_acquire) && !owned(); }
  /// Whether this node owns the partition but its lease ran out (paused
  /// past it, say): another node may have taken over and stored more than
  /// this node has folded. Its reads ask the owner first, briefly.
  [[nodiscard]] bool in_doubt() const { return owned() && !lease_fresh(); }
  /// How long a read here asks the owner (owner_reader_): behind, until
  /// the append timeout; in doubt, for kDoubtPatience, asking again soon
  /// after an "unowned" (likely this node's own service answering).
  [[nodiscard]] OwnerReader::Patience patience() const {
    return behind() ? OwnerReader::Patience{options_.append_timeout, kOwnerPoll}
                    : OwnerReader::Patience{kDoubtPatience, kDoubtPoll};
  }
  /// The owner's record of the order, open or not.
  [[nodiscard]] Result<std::optional<IndexedOrder>> owners_order(const OrderId& order) const {
    return owners_order(order, patience());
  }
  [[nodiscard]] Result<std::optional<IndexedOrder>> owners_order(const OrderId& order, OwnerReader::Patience p) const;
  /// The last position the stream holds (its last batch's), read from it.
  [[nodiscard]] Result<Seq> stored_head() const { return batches_.last_position(); }
  /// In doubt with no other owner answering, or finding nothing: whether
  /// this node's fold is still the partition's whole state (the stream
  /// holds nothing after what it folded but this node's own batches). No:
  /// Errc::no_owner, for the reader to try again. With no server
  /// reachable, yes.
  [[nodiscard]] std::error_code fold_still_whole() const;
  /// Whether this node's writer (this process) stored the message.
  [[nodiscard]] bool written_here(const StoredMessage& m) const;
  /// The owner's side: answers another node's read (OwnerServices::Owner).
  [[nodiscard]] std::string read_answer(const Request& request) const override;
  [[nodiscard]] std::string members_answer(const Request& request) const;
  [[nodiscard]] std::string snapshots_answer(const Request& request) const;
  // partition_follow.cpp: while behind, the listeners hear the batches the
  // owner sends live, and what none brought from the stream.
  /// The owner's side: sends a batch it stored (its encoding) live.
  void send_live(std::string_view data);
  /// Listens live while behind and watched, not otherwise (follower thread).
  void listen_live(bool on);
  void on_live(Request message);
  /// Why a batch heard live is not its owner's as the stream shows it, or
  /// nothing: it names this partition and an ownership (its writer's
  /// PartitionTaken, read from the stream unless heard), no earlier one
  /// than the latest heard here, and follows it (under fold_mu_).
  [[nodiscard]] std::string not_from_owner(const Batch& batch);
  /// Counts a refused live batch and says why, at most once a second.
  void refuse_live(std::string_view why);
  /// The writer (<node>/<incarnation>) a PartitionTaken record names, if it decodes.
  [[nodiscard]] std::optional<std::string> taken_by(const Record& record) const;
  /// Whether anything here watches the partition (watch()).
  [[nodiscard]] bool watched() const { return watchers_->load(std::memory_order_acquire) > 0; }
  /// A first watcher of a partition this node does not fold: from here on
  /// the listeners hear what comes after what the owner has folded (a read
  /// made after this sees the rest).
  void start_watching();
  /// Behind, the follower hears the batches stored on oee.p<p>.s (follower thread).
  void follow_shared();
  void on_shared(const StoredMessage& message);
  /// Where a batch is stored: oee.p<p>.s if it holds a record every node
  /// needs, else oee.p<p>.b (the owner's appender: it reads the index as
  /// its only writer).
  [[nodiscard]] std::string subject_of(const Batch& batch) const override;
  /// Whether a write this node made must be heard here before it
  /// completes: behind, one every node needs (a key works here once it is
  /// answered).
  [[nodiscard]] bool heard_before_done(const Queued& q) const;
  /// The listeners hear what the stream holds up to `through` that they
  /// have not heard yet (under fold_mu_; false if it could not be read).
  bool hear_stored(Seq through);
  /// The listeners hear these records (in position order), those they
  /// have not heard yet (under fold_mu_).
  /// `wake`: wakes wait_beyond() (a fold has, as it moved the head).
  void hear(std::vector<Record>& records, bool wake = true);
  /// The same for a batch's records (they move out of it).
  void hear_batch(Batch& batch);
  /// The listeners are past `position` without hearing what they had not
  /// (under fold_mu_): nobody here waits for it.
  void hear_through(Seq position);
  /// heard_ moves to `position`; returns the writes that then complete.
  [[nodiscard]] std::vector<std::pair<AppendCompletion, AppendOutcome>> move_heard(Seq position);

  // partition_checkpoints.cpp: the owner's checkpoints, and the opening's.
  /// Loads the latest checkpoint into the index (before following).
  void open_from_checkpoint();
  /// Replaces what is folded here with the checkpoint (under fold_mu_).
  void apply_checkpoint(CheckpointStore::Contents& c);
  /// Behind, before a takeover: loads the latest checkpoint if it is newer
  /// than what is folded here, so that less is read.
  [[nodiscard]] std::error_code skip_to_checkpoint();
  /// After a folded batch (the folding thread): hands a checkpoint to the
  /// checkpointer when one is due.
  void maybe_checkpoint(std::size_t events);
  /// A Checkpointed record: what finished before it is in a segment.
  void fold_checkpointed(const Record& r);
  /// Appends a Checkpointed record (the checkpoint at `through` is written).
  void announce_checkpoint(Seq through);

  // partition_appends.cpp: where a write goes, and what the appender
  // (batch_appender.h) asks of the log.
  void enqueue(AppendCommand command, AppendCompletion done, std::optional<Ownership> ownership);
  [[nodiscard]] BatchAppender::Tail tail() const override;
  [[nodiscard]] Result<BatchAppender::Found> find_request(const Queued& q) const override;
  void stored(Batch batch, Seq stream_seq, std::string_view data) override;
  [[nodiscard]] std::error_code before_takeover() override;
  /// A write queued here that can no longer go out from here: an owner's
  /// writer's is fenced, another node's answered unsent, this node's own
  /// goes to the forwarder.
  void reroute(Queued& q) override;
  /// Stores a write another node forwarded (OwnerServices::Owner).
  void store_forwarded(Queued& q) override;
  /// Queues a write for this node's appender, which stores it while this
  /// node owns the partition and forwards it otherwise.
  void append_here(Queued& q) override;
  /// Queues a write made while another node owns the partition (or none
  /// does) for the forwarder; answers it closed if the log is closing.
  void forward(Queued& q);
  void wait_for_order_past(const OrderId& order, Seq basis, Clock::time_point deadline) const override;
  /// Completes a write: counts it, and answers once it is folded.
  void finish(Queued& q, Result<AppendOutcome> outcome, Clock::time_point started) override;
  /// Runs `done` once `seq` is folded (at once if it is).
  void complete_at(Seq seq, AppendCompletion done, AppendOutcome outcome);
  [[nodiscard]] std::string writer() const { return options_.node + "/" + options_.incarnation; }
  /// A new write's request id: <writer>/<n>, n counting this node's writes.
  [[nodiscard]] std::string next_request_id() {
    return writer() + "/" + std::to_string(requests_.fetch_add(1, std::memory_order_relaxed) + 1);
  }

  /// Folds a batch stored at `stream_seq` (skipped if folded already).
  void fold_stored(Batch batch, Seq stream_seq);
  /// Folds what the stream holds beyond what is folded here, up to its
  /// end as it is now.
  [[nodiscard]] std::error_code catch_up(Clock::time_point deadline) override;
  /// The last position folded here.
  [[nodiscard]] Seq folded() const { return Seq{head_.load(std::memory_order_acquire)}; }
  [[nodiscard]] Seq tail_seq() const { return Seq{tail_seq_.load(std::memory_order_acquire)}; }
  /// close(): stops the parts, each before what it calls goes.
  void stop_parts();

  // Set by the constructor, read by any thread. The connection is the
  // cluster's, which closes this log before it closes the connection.
  Connection& connection_;
  const PartitionLogOptions options_;
  const std::string stream_;
  const std::string subjects_;
  OwnerReader owner_reader_{connection_, options_.partition};  // any reader's; stopped by close()
  const CheckpointStore checkpoints_{connection_, options_.partition, options_.replicas};  // no state
  const FinishedSegments segments_{connection_, options_.partition, options_.replicas};    // its own locks

  // What is folded here. Folds come from the appender (what the owner
  // stored) and the follower (what a reader reads, or a takeover catches
  // up on): one at a time under fold_mu_, each batch once. Readers read
  // the index and the parts' classes, each under its own leaf lock.
  mutable std::mutex fold_mu_;
  ::oee::eventlog::detail::OrderIndex index_;  // changed under fold_mu_; read by any thread (its own lock)
  mutable FinishedOrders finished_;            // changed under fold_mu_; its own lock
  OrderSets sets_;                             // changed under fold_mu_; its own lock
  RecentRequests landed_requests_;             // changed under fold_mu_; its own lock
  StoredBatches batches_{connection_, options_.partition, stream_, subjects_};  // noted under fold_mu_; its own lock
  std::atomic<std::uint64_t> head_{0};         // the last position folded; stored under fold_mu_ and head_mu_
  // The stream's seq of the last message folded here: the owner's next
  // batch expects it as the stream's last (the fence). Stored under fold_mu_.
  std::atomic<std::uint64_t> tail_seq_{0};
  // A takeover's catch-up found the last owner silent: not asked again in it.
  mutable std::atomic<bool> owner_silent_{false};
  std::uint64_t since_checkpoint_ = 0;                       // under fold_mu_
  std::chrono::steady_clock::time_point checkpoint_due_{};  // under fold_mu_
  Seq opened_from_{};                                        // set by the constructor
  // PartitionLogOptions::follow_unowned, until stop_following().
  std::atomic<bool> folds_unowned_{true};

  // What the listeners heard (a fold's or, behind, live).
  std::atomic<std::uint64_t> heard_{0};  // stored under fold_mu_
  // The latest ownership the listeners heard of: its writer and its
  // PartitionTaken's position.
  struct HeardOwnership {
    std::string writer;
    Seq taken_at;
  };
  HeardOwnership heard_owner_;  // under fold_mu_
  std::shared_ptr<::oee::eventlog::detail::CommitListeners> listeners_ =
      std::make_shared<::oee::eventlog::detail::CommitListeners>();  // its own lock; called under fold_mu_
  // Watchers (watch()); shared with their handles, which may outlive the log.
  std::shared_ptr<std::atomic<std::size_t>> watchers_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::mutex watch_mu_;  // a first watcher starts watching under it

  // Waiting for the head: wait_beyond(), and appends answered once folded.
  mutable std::mutex head_mu_;
  mutable std::condition_variable head_cv_;
  // What a thread that waits for nothing but time or the end waits on
  // (with head_mu_): not woken by every fold, as head_cv_ waiters are.
  mutable std::condition_variable idle_cv_;
  std::multimap<std::uint64_t, std::pair<AppendCompletion, AppendOutcome>> waiting_;  // under head_mu_

  // This node's ownership of the partition (its own leaf lock; changed by
  // the fold of a PartitionTaken, under fold_mu_, and by take_over() and
  // release()).
  PartitionOwnership ownership_;

  std::atomic<std::uint64_t> requests_{0};  // this node's writes, numbered for their request ids
  std::atomic<bool> closed_{false};         // close() was called

  // The follower thread's alone.
  std::unique_ptr<Subscription> subscription_;  // the stream, while folded here (and the opening's)
  std::unique_ptr<Service> live_;               // while behind and watched
  std::unique_ptr<Subscription> shared_;        // behind: the batches every node needs (oee.p<p>.s)
  std::atomic<std::uint64_t> shared_tail_{0};   // the stream seq `shared_` delivered last; read by watch()

  // The owner's services for other nodes (their forwards and reads), on
  // while this node owns the partition; stopped by close() and by the
  // ownership's end.
  OwnerServices services_{connection_, options_.partition, options_.check_forwarded,
                          static_cast<OwnerServices::Owner&>(*this)};

  BurstCounter refused_live_;  // its own lock
  // Shared with the owner's writers, which may outlive the log.
  const std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
  std::atomic<bool> stopping_{false};  // set by close()

  // The parts with threads of their own; made by the constructor (the
  // forwarder before the appender, which reroutes to it), stopped by
  // close() before anything they call goes: the appender, the forwarder,
  // the follower, the checkpointer (stop_parts()).
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<BatchAppender> appender_;
  std::thread follower_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace oee::eventlog::jetstream::detail
