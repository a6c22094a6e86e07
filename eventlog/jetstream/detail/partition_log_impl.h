#pragma once
// JetStream implementation of PartitionLog (partition_log.h).
//
// Stored message, one per event, on the partition's stream:
//   subject  oee.p<p>.o.<order uuid>   an order's event
//            oee.p<p>.x.taken          a PartitionTaken
//   data     record_codec's value with seq 0 (the stream's seq is the event's)
//   headers  Nats-Msg-Id        <order>@<basis seq>:<type>/<node>/<incarnation>~<crc32c>
//                               (first events: <order>/first/<node>/<incarnation>, and
//                               in the owner's pipeline #<owner node>/<incarnation>/<n>
//                               after it): a retry is stored once
//            Oee-Writer         <node>/<incarnation> (of the node asked, for a forwarded one)
// A forward (a request to the owner) carries the event as stored, its
// headers, and Oee-Subject (where it goes) and Oee-Basis (the order's seq
// it was decided on; none for a first event).
//            Oee-Begins         1 on an order's first event
//            Oee-Sets           set changes, e.g. "1+" (dead letter in), "1-"
//            Oee-Fingerprint    an idempotency claim's request fingerprint
//
// Threads: the appender publishes this node's appends while it owns the
// partition, those queued together as one pipeline, and other nodes'
// writes forwarded to it, in the same pipelines; the forwarder sends the
// writes made while another node owns it to that owner (a request on
// oee.forward.p<p>), waiting for one while there is none: so only the owner
// ever appends, and its pipelines are not broken by other nodes' events.
// The follower consumes the stream in order, folds each event into the
// order index, calls the listeners and runs the completions of appends up
// to the seq it folded.

#include <condition_variable>
#include <deque>
#include <list>
#include <unordered_map>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "eventlog/detail/commit_listeners.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/partition_log.h"

namespace oee::eventlog::jetstream::detail {

class JetStreamPartitionLog final : public PartitionLog {
 public:
  JetStreamPartitionLog(Connection& connection, PartitionLogOptions options);
  ~JetStreamPartitionLog() override;

  // EventLogReader
  Seq head() const override { return Seq{head_.load(std::memory_order_acquire)}; }
  Result<std::vector<Record>> read(Seq from, std::size_t max) const override;
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override;
  Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const override;
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override;
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override;
  Result<std::optional<Checkpoint>> checkpoint() const override;
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override;
  Result<std::optional<IdempotencyEntry>> idempotency(std::string_view key) const override;
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override;
  Result<Seq> refresh() override { return head(); }
  bool partitioned() const override { return true; }
  Result<Seq> cursor(std::string_view name) const override;
  const std::string& id() const override { return options_.log_id; }
  std::uint64_t disk_bytes() const override;
  MemoryUse memory() const override { return {}; }

  // EventLogWriter
  void append(AppendCommand command, AppendCompletion done) override;
  void append_all(std::vector<AppendRequest> requests) override;
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override;
  CommitSubscription on_commit(CommitListener listener) override { return listeners_->add(std::move(listener)); }
  std::string write_error() const override;
  const Stats& stats() const override { return stats_; }
  std::error_code close() override;

  // PartitionLog
  Result<std::unique_ptr<EventLogWriter>> take_over() override;
  void release() override;
  bool owned() const override;
  std::uint32_t partition() const override { return options_.partition; }
  std::uint64_t refused_appends() const override { return refused_.load(std::memory_order_relaxed); }
  Seq opened_from() const override { return opened_from_; }
  Result<bool> holds(const OrderId& order) const override;
  std::uint64_t forwarded_appends() const override { return forwarded_.load(std::memory_order_relaxed); }

  /// Folds the stream up to its current end (opening blocks on this).
  void catch_up_at_open();
  /// An append of the owner's writer, made in ownership `ownership`.
  void append_owned(AppendCommand command, AppendCompletion done, std::uint64_t ownership);
  /// Whether ownership `ownership` is still this node's.
  [[nodiscard]] bool owns(std::uint64_t ownership) const;
  /// Whether this node's lease on the partition is fresh (true when no
  /// lease is kept).
  [[nodiscard]] bool lease_fresh() const { return !options_.lease_fresh || options_.lease_fresh(); }

 private:
  /// An event another node asked this one, the partition's owner, to
  /// append in its pipeline (on_forwarded): published as that node made it.
  struct Forwarded {
    Publish publish;  // its data is `data`, set where it is sent
    std::string data;
  };
  struct Queued {
    AppendCommand command;
    AppendCompletion done;
    /// Not a first event: the order's last seq when the command was made.
    Seq basis;
    /// Made while this node owned the partition, in this ownership.
    std::optional<std::uint64_t> ownership;
    bool take_over = false;
    std::optional<Forwarded> forwarded{};
    /// Forwarded again after an answer that did not come: it may be stored.
    bool sent_before = false;
  };

  // partition_log.cpp: the follower and the reads.
  void follow_loop();
  void fold_batch(std::vector<StoredMessage>& batch);
  [[nodiscard]] Result<Record> to_record(const StoredMessage& m) const;
  /// The events on `subjects` from `from` on, at most `max`.
  [[nodiscard]] Result<std::vector<Record>> read_records(std::string_view subjects, Seq from, std::size_t max) const;
  void fold_event(const Record& r, const StoredMessage& m);
  void fold_taken(const Record& r);
  [[nodiscard]] Result<std::optional<IndexedOrder>> fold_order(const OrderId& order, Seq through) const;
  /// The seqs of an order's events (open or finished).
  [[nodiscard]] Result<std::vector<Seq>> order_seqs(const OrderId& order) const;

  // partition_checkpoints.cpp: the owner's checkpoints, and the opening's.
  struct LoadedCheckpoint {
    Seq seq;
    std::vector<IndexedOrder> orders;
    std::map<OrderSet, std::set<OrderId>> sets;
  };
  [[nodiscard]] Result<std::optional<LoadedCheckpoint>> load_checkpoint() const;
  /// Loads the latest checkpoint into the index (before following).
  void open_from_checkpoint();
  /// After a folded batch (follower thread): hands a checkpoint to the
  /// checkpoint thread when one is due.
  void maybe_checkpoint(std::size_t events);
  void checkpoint_loop();
  [[nodiscard]] std::error_code write_checkpoint(Seq seq, const std::string& blob);

  // partition_appends.cpp: the appender.
  void enqueue(AppendCommand command, AppendCompletion done, std::optional<std::uint64_t> ownership);
  void append_loop();
  void publish_takeover(Queued& q);
  /// Fenced appends sent as one pipeline: the first expects the tail, each
  /// other the one before it as the stream's last message; from the first
  /// that does not land on, they go one at a time (publish_fenced).
  void publish_pipeline(std::vector<Queued>& run);
  /// The stored form of a queued command, and its time (a forwarded one's
  /// is as its node stored it, with no time: its node answers with its own).
  [[nodiscard]] std::pair<std::string, TimestampNs> encoded(Queued& q) const;
  /// A fenced append's publish, without its expectation: subject, msg id
  /// (the same for every try of it) and headers.
  [[nodiscard]] Publish fenced_publish(const Queued& q, std::string_view data) const;
  /// A pipelined append's publish, without its place in the pipeline.
  [[nodiscard]] Publish pipelined_publish(const Queued& q, std::string_view data);
  /// Serves the writes other nodes forward while this node owns the
  /// partition (on), or no longer (off).
  void serve_forwards(bool on);
  void on_forwarded(Request request);
  /// Queues a write made while another node owns the partition (or none
  /// does) for the forwarder; false if the log is closing.
  [[nodiscard]] bool queue_forward(Queued& q);
  void forward_loop();
  /// Sends the writes to the partition's owner together and waits for its
  /// answers; with no owner, asks again until one answers or the append
  /// timeout passes (Errc::no_owner, nothing stored).
  void forward(std::vector<Queued>& run);
  /// The request that asks the owner to append `q`, whose stored form is
  /// `data`.
  [[nodiscard]] Publish forward_request(const Queued& q, std::string_view data) const;
  /// Completes a publish: counts it, and answers once it is folded.
  void finish(Queued& q, Result<AppendOutcome> outcome, TimestampNs ts, std::chrono::steady_clock::time_point started);
  /// A forwarded write's publish, as its node made it, carrying `data`.
  [[nodiscard]] static Publish forwarded_publish(const Queued& q, std::string_view data);
  /// A first event's publish: create-only on the order's subject.
  [[nodiscard]] Publish first_publish(const Queued& q, std::string_view data) const;
  /// One first event, until it lands or is found to be another request's
  /// order; `sent_before`: an earlier try's outcome is unknown.
  [[nodiscard]] Result<AppendOutcome> publish_first(Queued& q, Publish p, bool sent_before);
  [[nodiscard]] Result<AppendOutcome> publish_fenced(Queued& q, const std::string& data);
  /// What a refused fenced publish comes to, once the stream is folded to
  /// its end: try again at the new tail, or the append ended (landed
  /// earlier at `landed`, or failed with `error`).
  struct Verdict {
    bool retry = false;
    Seq landed{};
    std::error_code error{};
  };
  [[nodiscard]] Verdict after_refusal(const Queued& q, std::string_view data);
  /// The same on what is folded already: whether an event of q's order
  /// came after the one it was decided on, and whose.
  [[nodiscard]] Verdict judge_on_folded(const Queued& q, std::string_view data);
  /// Runs `done` once `seq` is folded (at once if it is).
  void complete_at(Seq seq, AppendCompletion done, AppendOutcome outcome);
  [[nodiscard]] std::string writer() const { return options_.node + "/" + options_.incarnation; }

  Connection& connection_;
  const PartitionLogOptions options_;
  const std::string stream_;
  const std::string subjects_;

  ::oee::eventlog::detail::OrderIndex index_;
  // Orders that finished lately, as the index held them last: read without
  // asking the cluster (a GET right after an order ends, or while the
  // cluster is out of reach). Least recently finished or read go first.
  struct FinishedCache {
    std::list<IndexedOrder> orders;  // most recent first
    std::unordered_map<OrderId, std::list<IndexedOrder>::iterator, OrderIdHash> by_id;
    void erase(const OrderId& order);
  };
  static constexpr std::size_t kFinishedCached = 10'000;
  mutable std::mutex finished_mu_;
  mutable FinishedCache finished_;  // under finished_mu_
  void remember_finished(IndexedOrder order) const;
  void forget_finished(const OrderId& order);
  [[nodiscard]] std::optional<IndexedOrder> recall_finished(const OrderId& order) const;
  [[nodiscard]] bool finished_cached(const OrderId& order) const;
  mutable std::mutex sets_mu_;
  std::map<OrderSet, std::set<OrderId>> sets_;  // dead letters, API keys

  std::atomic<std::uint64_t> head_{0};
  mutable std::mutex head_mu_;
  mutable std::condition_variable head_cv_;
  std::multimap<std::uint64_t, std::pair<AppendCompletion, AppendOutcome>> waiting_;  // under head_mu_

  mutable std::mutex own_mu_;
  bool owned_ = false;               // under own_mu_
  std::uint64_t ownership_ = 0;      // counts this node's ownerships; under own_mu_
  bool wants_ownership_ = false;     // take_over() asked, release() not since; under own_mu_
  Seq taken_at_{};                   // where this node's ownership began; under own_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Queued> queue_;  // fenced appends and takeovers, for the appender
  std::condition_variable to_forward_cv_;
  std::deque<Queued> to_forward_;  // writes for another node, the owner: the forwarder's
  bool closing_ = false;
  // This node's last acknowledged append: everything up to it is folded
  // here or its own. Appender thread only (and the opening).
  std::uint64_t tail_ = 0;
  std::uint64_t pipelined_firsts_ = 0;  // first events this node pipelined; appender thread only
  // The seq of each order's last event this node appended that its
  // follower may not have folded yet: judging an append on the folded
  // state alone would miss it. Appender thread only; pruned as the
  // follower catches up.
  std::unordered_map<OrderId, std::uint64_t, OrderIdHash> unfolded_;
  /// Notes an append of `q` that landed at `seq` (appender thread).
  void note_landed(const Queued& q, Seq seq);
  std::string write_error_;  // under queue_mu_

  std::atomic<std::uint64_t> refused_{0};
  Seq opened_from_{};
  // Checkpoints: counted and encoded on the follower thread, written on
  // the checkpoint thread (the latest one due wins).
  std::uint64_t since_checkpoint_ = 0;
  std::chrono::steady_clock::time_point checkpoint_due_{};
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  std::optional<std::pair<Seq, std::string>> checkpoint_pending_;  // under checkpoint_mu_
  std::thread checkpointer_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<Subscription> subscription_;
  std::shared_ptr<::oee::eventlog::detail::CommitListeners> listeners_ =
      std::make_shared<::oee::eventlog::detail::CommitListeners>();
  Stats stats_;
  std::thread follower_;
  std::thread appender_;
  std::thread forwarder_;
  std::atomic<std::uint64_t> forwarded_{0};
  std::mutex forward_service_mu_;
  std::unique_ptr<Service> forward_service_;  // while owned; under forward_service_mu_
};

}  // namespace oee::eventlog::jetstream::detail
