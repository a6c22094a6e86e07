// The partition log's reads: an order's events, state and finished
// record, from the index and the finished orders cached here, or from the
// stream by the order's subject; the sets; where an order is.
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"

namespace oee::eventlog::jetstream::detail {

namespace {

/// How long a read of an order stored beyond what this node has folded
/// waits for its follower.
constexpr std::chrono::milliseconds kCatchUpWait{2000};

}  // namespace

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::fold_order(const OrderId& order, Seq through) const {
  auto events = read_order(order, Seq{1});
  if (!events) return events.error();
  IndexedOrder out{order, {}, {}};
  for (const auto& r : *events) {
    if (r.seq > through) break;
    auto folded = options_.fold ? options_.fold(out.snapshot, r) : Result<FoldedEvent>(FoldedEvent{out.snapshot, false});
    // Skipped for this order, as the follower skips it (fold_event): an
    // older build's event the order's state did not allow.
    if (!folded && folded.error() == Errc::illegal) continue;
    if (!folded) return folded.error();
    out.snapshot = std::move(folded->snapshot);
    out.seqs.push_back(r.seq);
  }
  if (out.seqs.empty()) return std::optional<IndexedOrder>{};
  return std::optional<IndexedOrder>(std::move(out));
}

Result<std::vector<Record>> JetStreamPartitionLog::read_records(std::string_view subjects, Seq from,
                                                                std::size_t max) const {
  auto messages = connection_.read(stream_, subjects, std::max(from, Seq{1}), max);
  if (!messages) return messages.error();
  std::vector<Record> out;
  out.reserve(messages->size());
  for (const auto& m : *messages) {
    auto r = to_record(m);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<std::vector<Record>> JetStreamPartitionLog::read(Seq from, std::size_t max) const {
  return read_records(subjects_, from, max);
}

Result<std::vector<Record>> JetStreamPartitionLog::read_order(OrderId order, Seq from) const {
  return read_records(order_subject(options_.partition, order), from, std::numeric_limits<std::size_t>::max());
}

Result<std::vector<RawRecord>> JetStreamPartitionLog::read_raw(Seq from, std::size_t max) const {
  auto messages = connection_.read(stream_, subjects_, std::max(from, Seq{1}), max);
  if (!messages) return messages.error();
  std::vector<RawRecord> out;
  out.reserve(messages->size());
  for (auto& m : *messages) out.push_back(RawRecord{m.seq, std::move(m.data)});
  return out;
}

void JetStreamPartitionLog::FinishedCache::erase(const OrderId& order) {
  if (const auto it = by_id.find(order); it != by_id.end()) {
    orders.erase(it->second);
    by_id.erase(it);
  }
}

void JetStreamPartitionLog::remember_finished(IndexedOrder order) const {
  std::lock_guard lock(finished_mu_);
  finished_.erase(order.order);
  const auto id = order.order;
  finished_.orders.push_front(std::move(order));
  finished_.by_id[id] = finished_.orders.begin();
  if (finished_.orders.size() > kFinishedCached) {
    finished_.by_id.erase(finished_.orders.back().order);
    finished_.orders.pop_back();
  }
}

void JetStreamPartitionLog::forget_finished(const OrderId& order) {
  std::lock_guard lock(finished_mu_);
  finished_.erase(order);
}

bool JetStreamPartitionLog::finished_cached(const OrderId& order) const {
  std::lock_guard lock(finished_mu_);
  return finished_.by_id.contains(order);
}

std::optional<IndexedOrder> JetStreamPartitionLog::recall_finished(const OrderId& order) const {
  std::lock_guard lock(finished_mu_);
  const auto it = finished_.by_id.find(order);
  if (it == finished_.by_id.end()) return std::nullopt;
  finished_.orders.splice(finished_.orders.begin(), finished_.orders, it->second);
  return *it->second;
}

Result<std::optional<OrderSnapshotEntry>> JetStreamPartitionLog::snapshot(OrderId order) const {
  if (auto open = index_.snapshot(order)) return open;
  if (auto done = recall_finished(order))
    return std::optional<OrderSnapshotEntry>(OrderSnapshotEntry{done->seqs.back(), std::move(done->snapshot)});
  auto record = fold_order(order, head());
  if (!record) return record.error();
  if (!*record) {
    // Stored, maybe, and not folded here yet: an order another node has
    // just acknowledged, asked of this one at once (a client's cancel). It
    // is read as this node has folded it once the follower got that far.
    auto last = connection_.last_on_subject(stream_, order_subject(options_.partition, order));
    if (!last) return last.error();
    if (!*last || (*last)->seq <= head()) return std::optional<OrderSnapshotEntry>{};
    const auto deadline = Clock::now() + kCatchUpWait;
    while (head() < (*last)->seq && Clock::now() < deadline) (void)wait_beyond(head(), kCatchUpWait);
    if (auto open = index_.snapshot(order)) return open;
    record = fold_order(order, head());
    if (!record) return record.error();
    if (!*record) return std::optional<OrderSnapshotEntry>{};
  }
  return std::optional<OrderSnapshotEntry>(OrderSnapshotEntry{(*record)->seqs.back(), std::move((*record)->snapshot)});
}

Result<bool> JetStreamPartitionLog::holds(const OrderId& order) const {
  if (index_.contains(order) || finished_cached(order)) return true;
  auto last = connection_.last_on_subject(stream_, order_subject(options_.partition, order));
  if (!last) return Result<bool>(boost::system::in_place_error, last.error());
  return last->has_value();
}

Result<std::vector<OrderId>> JetStreamPartitionLog::members(OrderSet set, std::size_t max) const {
  if (set == OrderSet::active) return index_.ids(max);
  std::lock_guard lock(sets_mu_);
  std::vector<OrderId> out;
  if (const auto it = sets_.find(set); it != sets_.end())
    for (const auto& id : it->second) {
      if (out.size() >= max) break;
      out.push_back(id);
    }
  return out;
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::finished_record(OrderId order) const {
  if (index_.snapshot(order)) return std::optional<IndexedOrder>{};
  if (auto done = recall_finished(order)) return std::optional<IndexedOrder>(std::move(*done));
  return fold_order(order, head());
}

Result<std::optional<IdempotencyEntry>> JetStreamPartitionLog::idempotency(std::string_view) const {
  // Keys are not looked up in a cluster: a keyed order's id is derived from
  // its key, and its first event is create-only (an append answers with
  // the order that holds it).
  return std::optional<IdempotencyEntry>{};
}

}  // namespace oee::eventlog::jetstream::detail
