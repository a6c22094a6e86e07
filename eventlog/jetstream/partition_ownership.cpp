// The partition log's ownership: a takeover (this node's PartitionTaken,
// queued alone to the appender) and the owner's writer it hands out, whose
// appends are tied to that one ownership.
#include <future>

#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "schemas/cluster_events_generated.h"

namespace oee::eventlog::jetstream::detail {

/// The owner's writer (PartitionLog::take_over): the partition log with
/// its appends tied to one ownership.
class OwnerWriter final : public EventLogWriter {
 public:
  OwnerWriter(JetStreamPartitionLog& log, std::uint64_t ownership) : log_(log), ownership_(ownership) {}

  Seq head() const override { return log_.head(); }
  Result<std::vector<Record>> read(Seq from, std::size_t max) const override { return log_.read(from, max); }
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override {
    return log_.read_order(order, from);
  }
  Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const override {
    return log_.read_raw(from, max);
  }
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override { return log_.snapshot(order); }
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override {
    return log_.members(set, max);
  }
  Result<std::optional<Checkpoint>> checkpoint() const override { return log_.checkpoint(); }
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override {
    return log_.finished_record(order);
  }
  Result<std::optional<IdempotencyEntry>> idempotency(std::string_view key) const override {
    return log_.idempotency(key);
  }
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override {
    return log_.wait_beyond(after, timeout);
  }
  Result<Seq> refresh() override { return log_.refresh(); }
  Result<Seq> cursor(std::string_view name) const override { return log_.cursor(name); }
  const std::string& id() const override { return log_.id(); }
  std::uint64_t disk_bytes() const override { return log_.disk_bytes(); }
  MemoryUse memory() const override { return log_.memory(); }

  void append(AppendCommand command, AppendCompletion done) override {
    log_.append_owned(std::move(command), std::move(done), ownership_);
  }
  void append_all(std::vector<AppendRequest> requests) override {
    for (auto& r : requests) append(std::move(r.command), std::move(r.done));
  }
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override {
    log_.store_cursor(std::move(name), seq, std::move(done));
  }
  CommitSubscription on_commit(CommitListener listener) override { return log_.on_commit(std::move(listener)); }
  std::string write_error() const override {
    return log_.owns(ownership_) ? log_.write_error() : "another node took the partition over";
  }
  bool may_act() const override { return log_.owns(ownership_) && log_.lease_fresh(); }
  const Stats& stats() const override { return log_.stats(); }
  std::error_code close() override { return {}; }  // the partition log is closed by whoever opened it

 private:
  JetStreamPartitionLog& log_;
  const std::uint64_t ownership_;
};

void JetStreamPartitionLog::append_owned(AppendCommand command, AppendCompletion done, std::uint64_t ownership) {
  if (!owns(ownership)) return done(std::error_code(JsErrc::fenced));
  enqueue(std::move(command), std::move(done), ownership);
}

bool JetStreamPartitionLog::owns(std::uint64_t ownership) const {
  std::lock_guard lock(own_mu_);
  return owned_ && ownership_ == ownership;
}

Result<std::unique_ptr<EventLogWriter>> JetStreamPartitionLog::take_over() {
  {
    std::lock_guard lock(own_mu_);
    wants_ownership_ = true;
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreatePartitionTakenDirect(fbb, options_.node.c_str(), options_.incarnation.c_str()));
  Queued q;
  q.command.type = kPartitionTakenType;
  q.command.payload.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  q.take_over = true;
  auto result = std::make_shared<std::promise<Result<AppendOutcome>>>();
  auto future = result->get_future();
  q.done = [result](Result<AppendOutcome> outcome) { result->set_value(std::move(outcome)); };
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return make_error_code(Errc::closed);
    queue_.push_back(std::move(q));
  }
  queue_cv_.notify_one();
  auto outcome = future.get();
  if (!outcome) {
    release();
    return outcome.error();
  }
  std::unique_ptr<EventLogWriter> writer;
  {
    std::lock_guard lock(own_mu_);
    if (!owned_) return std::error_code(JsErrc::fenced);  // another node's came right after
    writer = std::make_unique<OwnerWriter>(*this, ownership_);
  }
  serve_other_nodes(true);
  return writer;
}

}  // namespace oee::eventlog::jetstream::detail
