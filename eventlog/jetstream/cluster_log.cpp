#include "eventlog/jetstream/cluster_log.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <iterator>
#include <limits>
#include <mutex>

#include "eventlog/jetstream/detail/placements.h"

namespace oee::eventlog::jetstream {

namespace {

class ClusterLog final : public EventLogWriter {
 public:
  explicit ClusterLog(Cluster& cluster) : cluster_(cluster) {
    // Keeps the totals, learns where child orders live and wakes
    // wait_beyond().
    for (const PartitionId p : each_partition(cluster_.partitions()))
      own_.push_back(cluster_.partition(p).on_commit([this, p](std::span<const Record> records) {
        stats_.events.fetch_add(records.size(), std::memory_order_relaxed);
        stats_.commits.fetch_add(1, std::memory_order_relaxed);
        for (const auto& r : records) learn(r.order, p);
        std::lock_guard lock(head_mu_);
        head_cv_.notify_all();
      }));
    // The open orders folded before the listeners came.
    for (const PartitionId p : each_partition(cluster_.partitions())) {
      auto open = cluster_.partition(p).members(OrderSet::active, std::numeric_limits<std::size_t>::max());
      if (open) {
        for (const auto& id : *open) learn(id, p);
      }
    }
  }
  ~ClusterLog() override { own_.clear(); }

  Seq head() const override {
    std::uint64_t total = 0;
    for (const PartitionId p : each_partition(cluster_.partitions())) total += cluster_.partition(p).head().value;
    return Seq{total};
  }
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override {
    const auto p = locate(order);
    if (!p) return p.error();
    return cluster_.partition(*p).read_order(order, from);
  }
  // Its own partition is asked for the state at once (it holds the order
  // unless the order is a child of one in another): one request for an
  // order, found or not, whose partition is not known yet.
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override {
    if (const auto known = placements_.find(order)) return cluster_.partition(*known).snapshot(order);
    const auto own = cluster_.partition_of(order);
    auto there = cluster_.partition(own).snapshot(order);
    if (!there) return there;
    if (*there) {
      placements_.remember(order, own);
      return there;
    }
    const auto elsewhere = held_elsewhere(order, own);
    if (!elsewhere) return elsewhere.error();
    if (!*elsewhere) return there;
    return cluster_.partition(**elsewhere).snapshot(order);
  }
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override {
    std::vector<OrderId> out;
    for (const PartitionId p : each_partition(cluster_.partitions())) {
      if (out.size() >= max) break;
      auto some = cluster_.partition(p).members(set, max - out.size());
      if (!some) return some.error();
      out.insert(out.end(), some->begin(), some->end());
    }
    return out;
  }
  Result<std::optional<Checkpoint>> checkpoint() const override { return std::optional<Checkpoint>{}; }
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override {
    const auto p = locate(order);
    if (!p) return p.error();
    return cluster_.partition(*p).finished_record(order);
  }
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override {
    std::unique_lock lock(head_mu_);
    head_cv_.wait_for(lock, timeout, [&] { return head() > after; });
    return head();
  }
  Result<Seq> refresh() override { return head(); }
  const std::string& id() const override { return cluster_.partition(PartitionId{0}).id(); }
  std::uint64_t disk_bytes() const override {
    std::uint64_t total = 0;
    for (const PartitionId p : each_partition(cluster_.partitions())) total += cluster_.partition(p).disk_bytes();
    return total;
  }
  MemoryUse memory() const override { return {}; }
  std::uint32_t partition_count() const override { return cluster_.partitions(); }
  bool partitioned() const override { return true; }
  // Where it was found or learned to be; else its own (no request: the
  // callers read the order first, which finds where it is).
  PartitionId partition_of(const OrderId& order) const override {
    return placements_.find(order).value_or(cluster_.partition_of(order));
  }
  Result<PartitionId> find_partition(const OrderId& order) const override { return locate(order); }
  LogPartitionReader& partition(PartitionId p) override { return cluster_.partition(p); }
  const LogPartitionReader& partition(PartitionId p) const override { return cluster_.partition(p); }

  void append(AppendCommand command, AppendCompletion done) override {
    // A new order goes to its own partition; a child order is created by
    // its parent's executor, in the parent's, not through here.
    if (command.begins) return cluster_.partition(cluster_.partition_of(command.order)).append(std::move(command), std::move(done));
    const auto p = locate(command.order);
    if (!p) return done(p.error());
    cluster_.partition(*p).append(std::move(command), std::move(done));
  }
  void append_all(std::vector<AppendRequest> requests) override {
    for (auto& r : requests) append(std::move(r.command), std::move(r.done));
  }
  CommitSubscription on_commit(CommitListener listener) override {
    // One call at a time, as a listener of one log expects.
    auto shared = std::make_shared<std::pair<std::mutex, CommitListener>>();
    shared->second = std::move(listener);
    std::vector<CommitSubscription> subs;
    for (const PartitionId p : each_partition(cluster_.partitions()))
      subs.push_back(cluster_.partition(p).on_commit([shared](std::span<const Record> records) {
        const auto own = [](const Record& r) { return is_log_own_type(r.type); };
        std::vector<Record> kept;
        if (std::any_of(records.begin(), records.end(), own)) {
          std::copy_if(records.begin(), records.end(), std::back_inserter(kept), [&](const Record& r) { return !own(r); });
          records = kept;
          if (records.empty()) return;
        }
        std::lock_guard lock(shared->first);
        shared->second(records);
      }));
    auto holder = std::make_shared<std::vector<CommitSubscription>>(std::move(subs));
    return CommitSubscription([holder] { holder->clear(); });
  }
  CommitSubscription watch(PartitionId p) override { return cluster_.partition(p).watch(p); }
  std::string write_error() const override {
    for (const PartitionId p : each_partition(cluster_.partitions()))
      if (auto e = cluster_.partition(p).write_error(); !e.empty()) return e;
    return {};
  }
  const Stats& stats() const override { return stats_; }
  std::error_code close() override { return {}; }

 private:
  void learn(const OrderId& order, PartitionId p) {
    if (order != OrderId{} && cluster_.partition_of(order) != p) placements_.learn(order, p);
  }

  // The partition that holds the order's events: its own, unless it is
  // known or found to be in another (a child order, in its parent's). Its
  // own is asked first (from memory for an open order, else one request);
  // the others only when it does not hold the order.
  Result<PartitionId> locate(const OrderId& order) const {
    if (const auto known = placements_.find(order)) return *known;
    const auto own = cluster_.partition_of(order);
    auto held = cluster_.partition(own).holds(order);
    if (!held) return held.error();
    if (*held) {
      placements_.remember(order, own);
      return own;
    }
    const auto elsewhere = held_elsewhere(order, own);
    if (!elsewhere) return elsewhere.error();
    return elsewhere->value_or(own);
  }

  // The partition other than `own` that holds the order, asking them all
  // at once: an unknown id costs one round trip more, not one per
  // partition. The answer is remembered, an unknown id's too (as its own):
  // an order created later is in its own partition, or a child learnt
  // from the commit that creates it.
  Result<std::optional<PartitionId>> held_elsewhere(const OrderId& order, PartitionId own) const {
    std::vector<std::pair<PartitionId, std::future<Result<bool>>>> asked;
    for (const PartitionId p : each_partition(cluster_.partitions())) {
      if (p == own) continue;
      // Deferred, asked in turn, where no thread can be started.
      asked.emplace_back(p, std::async(std::launch::async | std::launch::deferred,
                                       [this, p, &order] { return cluster_.partition(p).holds(order); }));
    }
    std::optional<PartitionId> found;
    std::error_code failed;
    for (auto& [p, answer] : asked) {
      const auto there = answer.get();  // every one waited for: none outlives this call
      if (!there) {
        failed = there.error();
      } else if (*there && !found) {
        found = p;
      }
    }
    if (found) {
      placements_.learn(order, *found);
      return found;
    }
    if (failed) return failed;
    placements_.remember(order, own);  // unless a commit taught otherwise meanwhile
    return std::optional<PartitionId>{};
  }

  Cluster& cluster_;
  mutable detail::Placements placements_;
  Stats stats_;
  mutable std::mutex head_mu_;
  mutable std::condition_variable head_cv_;
  std::vector<CommitSubscription> own_;
};

}  // namespace

std::unique_ptr<EventLogWriter> open_cluster_log(Cluster& cluster) { return std::make_unique<ClusterLog>(cluster); }

}  // namespace oee::eventlog::jetstream
