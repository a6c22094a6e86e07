// A takeover (this node's PartitionTaken, queued alone to the appender)
// and the owner's writer it hands out, whose appends are tied to that one
// ownership (partition_ownership.h).
#include <future>

#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/partition_id_format.h"
#include "schemas/cluster_events_generated.h"

namespace oee::eventlog::jetstream::detail {

/// The owner's writer (PartitionLog::take_over): the partition log with
/// its appends tied to one ownership. It holds the log weakly: once the
/// log is gone, it reads nothing and its appends end Errc::closed.
class OwnerWriter final : public LogPartitionWriter {
 public:
  OwnerWriter(const std::shared_ptr<JetStreamPartitionLog>& log, std::shared_ptr<const Stats> stats,
              Ownership ownership)
      : log_(log), ownership_(ownership), id_(log->id()), stats_(std::move(stats)) {}

  Seq head() const override { return with_log(Seq{0}, [](auto& log) { return log.head(); }); }
  Result<std::vector<Record>> read(Seq from, std::size_t max) const override {
    return with_log(closed<std::vector<Record>>(), [&](auto& log) { return log.read(from, max); });
  }
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override {
    return with_log(closed<std::vector<Record>>(), [&](auto& log) { return log.read_order(order, from); });
  }
  Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const override {
    return with_log(closed<std::vector<RawRecord>>(), [&](auto& log) { return log.read_raw(from, max); });
  }
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override {
    return with_log(closed<std::optional<OrderSnapshotEntry>>(), [&](auto& log) { return log.snapshot(order); });
  }
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override {
    return with_log(closed<std::vector<OrderId>>(), [&](auto& log) { return log.members(set, max); });
  }
  Result<std::vector<std::optional<OrderSnapshotEntry>>> snapshots(std::span<const OrderId> orders) const override {
    return with_log(closed<std::vector<std::optional<OrderSnapshotEntry>>>(),
                    [&](auto& log) { return log.snapshots(orders); });
  }
  Result<std::optional<Checkpoint>> checkpoint() const override {
    return with_log(closed<std::optional<Checkpoint>>(), [](auto& log) { return log.checkpoint(); });
  }
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override {
    return with_log(closed<std::optional<IndexedOrder>>(), [&](auto& log) { return log.finished_record(order); });
  }
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override {
    return with_log(Seq{0}, [&](auto& log) { return log.wait_beyond(after, timeout); });
  }
  Result<Seq> refresh() override {
    return with_log(closed<Seq>(), [](auto& log) { return log.refresh(); });
  }
  Result<Seq> cursor(std::string_view name) const override {
    return with_log(closed<Seq>(), [&](auto& log) { return log.cursor(name); });
  }
  const std::string& id() const override { return id_; }
  std::uint64_t disk_bytes() const override {
    return with_log(std::uint64_t{0}, [](auto& log) { return log.disk_bytes(); });
  }
  MemoryUse memory() const override { return {}; }

  void append(AppendCommand command, AppendCompletion done) override {
    auto log = log_.lock();
    if (!log) return done(make_error_code(Errc::closed));
    log->append_owned(std::move(command), std::move(done), ownership_);
  }
  void append_all(std::vector<AppendRequest> requests) override {
    for (auto& r : requests) append(std::move(r.command), std::move(r.done));
  }
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override {
    auto log = log_.lock();
    if (!log) return done(make_error_code(Errc::closed));
    log->store_cursor(std::move(name), seq, std::move(done));
  }
  CommitSubscription on_commit(CommitListener listener) override {
    auto log = log_.lock();
    return log ? log->on_commit(std::move(listener)) : CommitSubscription{};
  }
  std::string write_error() const override {
    return with_log(std::string("the partition log is closed"), [&](auto& log) {
      return log.owns(ownership_) ? log.write_error() : std::string("another node took the partition over");
    });
  }
  bool may_act() const override {
    return with_log(false, [&](auto& log) { return log.owns(ownership_) && log.lease_fresh(); });
  }
  const Stats& stats() const override { return *stats_; }
  std::error_code close() override { return {}; }  // the partition log is closed by whoever opened it

 private:
  template <typename T>
  static Result<T> closed() {
    return Result<T>(boost::system::in_place_error, make_error_code(Errc::closed));
  }
  /// `f(log)` while the log is there, else `otherwise`.
  template <typename T, typename F>
  T with_log(T otherwise, F&& f) const {
    const auto log = log_.lock();
    return log ? T(f(*log)) : std::move(otherwise);
  }

  const std::weak_ptr<JetStreamPartitionLog> log_;
  const Ownership ownership_;
  const std::string id_;
  const std::shared_ptr<const Stats> stats_;
};

void JetStreamPartitionLog::append_owned(AppendCommand command, AppendCompletion done, Ownership ownership) {
  if (!owns(ownership)) return done(std::error_code(JsErrc::fenced));
  enqueue(std::move(command), std::move(done), ownership);
}

bool JetStreamPartitionLog::owns(Ownership ownership) const { return ownership_.owns(ownership); }

Result<std::unique_ptr<LogPartitionWriter>> JetStreamPartitionLog::take_over() {
  ownership_.want();
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreatePartitionTakenDirect(fbb, options_.node.c_str(), options_.incarnation.c_str()));
  Queued q;
  q.command.type = kPartitionTakenType;
  q.command.payload.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  q.take_over = true;
  auto result = std::make_shared<std::promise<Result<AppendOutcome>>>();
  auto future = result->get_future();
  q.done = [result](Result<AppendOutcome> outcome) { result->set_value(std::move(outcome)); };
  if (!appender_->push(q)) return make_error_code(Errc::closed);
  auto outcome = future.get();
  if (!outcome) {
    release();
    return outcome.error();
  }
  const auto held = ownership_.held();
  if (!held) return std::error_code(JsErrc::fenced);  // another node's came right after
  std::unique_ptr<LogPartitionWriter> writer = std::make_unique<OwnerWriter>(shared_from_this(), stats_, held->ownership);
  services_.start();
  return writer;
}

}  // namespace oee::eventlog::jetstream::detail
