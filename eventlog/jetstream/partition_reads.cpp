// The partition log's reads: an order's events, state and finished
// record, from the index and the finished orders cached here, or from the
// segments of finished orders; its records from the batches that hold
// them (stored_batches.h); the sets; where an order is.
#include <charconv>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

// An order's latest snapshot as its record holds it. A record with no
// snapshot is no order's (an API key's), as in the embedded log.
std::optional<OrderSnapshotEntry> entry_of(std::optional<IndexedOrder> record) {
  if (!record || record->snapshot.empty()) return std::nullopt;
  return OrderSnapshotEntry{record->seqs.back(), std::move(record->snapshot)};
}

}  // namespace

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::order_record(const OrderId& order) const {
  if (behind()) return owners_order(order);
  return folded_record(order);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::folded_record(const OrderId& order) const {
  for (int look = 0; look < 2; ++look) {
    // Open, or finished lately: from memory (looked at twice, for the
    // follower may finish it between the two). An open order's snapshot
    // may be empty (no event of it gave one yet): it is open all the same.
    if (auto open = index_.open_order(order)) return open;
    if (auto done = finished_.recall(order)) return std::optional<IndexedOrder>(std::move(*done));
  }
  return stored_finish(order);
}

// Asked of an owner in doubt, the owner that answers knows better, if one
// does: a paused node resuming (its lease ran out) that took itself for the
// owner would read an order acknowledged meanwhile by its successor as
// unknown. If none does within kDoubtPatience, this node's fold answers
// only if nothing was stored after it (a lone owner whose lease is late to
// renew); else the reader is told to try again.
Result<std::optional<IndexedOrder>> JetStreamPartitionLog::read_record(const OrderId& order) const {
  if (in_doubt()) {
    if (auto owners = owners_order(order)) return owners;
    if (const auto ec = fold_still_whole()) return ec;
    return order_record(order);  // its fold is whole: what it lacks, the partition lacks
  }
  auto record = order_record(order);
  if (!record || *record || behind()) return record;  // behind, the owner answered
  return nothing_stored_beyond(order);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::owners_order(const OrderId& order,
                                                                         OwnerReader::Patience p) const {
  auto owners = owner_reader_.record(order, p);
  if (!owners) return owners.error();
  if (!*owners) return std::optional<IndexedOrder>{};
  return std::optional<IndexedOrder>(std::move((*owners)->first));
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::nothing_stored_beyond(const OrderId& order) const {
  if (!owned()) return owners_order(order);
  if (const auto ec = fold_still_whole()) return ec;
  return std::optional<IndexedOrder>{};
}

Result<std::vector<Seq>> JetStreamPartitionLog::order_seqs(const OrderId& order) const {
  if (!behind()) {
    if (auto seqs = index_.seqs(order)) return std::move(*seqs);
  }
  auto record = order_record(order);
  if (!record) return record.error();
  if (!*record) return std::vector<Seq>{};
  return std::move((*record)->seqs);
}

// Behind, this node is catching up to take the partition over: the last
// owner gave it up or its lease ran out, paused or gone. It is asked
// briefly, and after one silence not again in this catch-up; then this
// node's own memory and the segments of finished orders answer.
Result<std::optional<IndexedOrder>> JetStreamPartitionLog::record_to_fold(const OrderId& order) const {
  if (!behind()) return order_record(order);
  if (!owner_silent_.load(std::memory_order_relaxed)) {
    if (auto owners = owners_order(order, OwnerReader::Patience{kDoubtPatience, kDoubtPoll})) return owners;
    owner_silent_.store(true, std::memory_order_relaxed);
  }
  return folded_record(order);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::fold_order(const OrderId& order, Seq through) const {
  auto record = record_to_fold(order);
  if (!record || !*record || (*record)->seqs.back() <= through) return record;
  // Its record is of a later state than `through` (a reader folding an
  // order that was opened again later): folded from its events.
  std::vector<Seq> positions;
  for (const auto s : (*record)->seqs)
    if (s <= through) positions.push_back(s);
  auto events = batches_.records_at(positions);
  if (!events) return events.error();
  IndexedOrder out{order, {}, {}};
  for (const auto& r : *events) {
    auto folded = options_.fold ? options_.fold(out.snapshot, r) : Result<FoldedEvent>(FoldedEvent{out.snapshot, false});
    // Skipped for this order, as the fold skips it (fold_event): an
    // older build's event the order's state did not allow.
    if (!folded && folded.error() == Errc::illegal) continue;
    if (!folded) return folded.error();
    out.snapshot = std::move(folded->snapshot);
    out.seqs.push_back(r.seq);
  }
  if (out.seqs.empty()) return std::optional<IndexedOrder>{};
  return std::optional<IndexedOrder>(std::move(out));
}

Result<bool> JetStreamPartitionLog::stores_position(Seq position) const {
  if (!behind()) return position <= head();
  auto stored = batches_.last_position();
  if (!stored) return Result<bool>(boost::system::in_place_error, stored.error());
  return position <= *stored;
}

Result<std::vector<Record>> JetStreamPartitionLog::read_positions(Seq from, std::size_t max) const {
  from = std::max(from, Seq{1});
  if (max == 0) return std::vector<Record>{};
  auto stores = stores_position(from);
  if (!stores) return stores.error();
  if (!*stores) return std::vector<Record>{};
  return batches_.records_from(from, max);
}
Result<std::vector<Record>> JetStreamPartitionLog::read(Seq from, std::size_t max) const {
  return read_positions(from, max);
}

Result<std::vector<Record>> JetStreamPartitionLog::read_order(OrderId order, Seq from) const {
  if (behind()) return owner_reader_.events(order, from, patience());
  bool whole = false;  // this node's fold is the partition's: what it lacks, the partition lacks
  if (in_doubt()) {
    if (auto owners = owner_reader_.events(order, from, patience())) return owners;
    if (const auto ec = fold_still_whole()) return ec;
    whole = true;
  }
  auto record = order_record(order);
  if (record && !*record && !whole) record = nothing_stored_beyond(order);
  if (!record) return record.error();
  if (!*record) return std::vector<Record>{};
  std::vector<Seq> positions;
  for (const auto s : (*record)->seqs)
    if (s >= from) positions.push_back(s);
  return batches_.records_at(positions);
}

Result<std::vector<RawRecord>> JetStreamPartitionLog::read_raw(Seq from, std::size_t max) const {
  from = std::max(from, Seq{1});
  if (max == 0) return std::vector<RawRecord>{};
  auto stores = stores_position(from);
  if (!stores) return stores.error();
  if (!*stores) return std::vector<RawRecord>{};
  return batches_.raw_from(from, max);
}
Result<std::optional<OrderSnapshotEntry>> JetStreamPartitionLog::snapshot(OrderId order) const {
  if (!behind() && !in_doubt()) {
    if (auto open = index_.snapshot(order)) return open;
  }
  auto record = read_record(order);
  if (!record) return record.error();
  return entry_of(std::move(*record));
}

Result<std::vector<std::optional<OrderSnapshotEntry>>> JetStreamPartitionLog::snapshots(
    std::span<const OrderId> orders) const {
  if (behind() || in_doubt()) {
    auto owners = owner_reader_.snapshots(orders, patience());
    if (owners || behind()) return owners;
    if (const auto ec = fold_still_whole()) return ec;
    // In doubt, and its fold is whole: what it lacks, the partition lacks.
    std::vector<std::optional<OrderSnapshotEntry>> out;
    out.reserve(orders.size());
    for (const auto& id : orders) {
      auto record = order_record(id);
      if (!record) return record.error();
      out.push_back(entry_of(std::move(*record)));
    }
    return out;
  }
  return OrderIndexView::snapshots(orders);  // its own fold, one by one
}

Result<bool> JetStreamPartitionLog::holds(const OrderId& order) const {
  // An order stays in the partition it began in: what was folded here, if
  // behind, still holds.
  if (index_.contains(order) || finished_.contains(order)) return true;
  auto record = read_record(order);
  if (!record) return Result<bool>(boost::system::in_place_error, record.error());
  return record->has_value();
}

Result<std::vector<OrderId>> JetStreamPartitionLog::members(OrderSet set, std::size_t max) const {
  if (behind()) return owner_reader_.members(set, max, patience());
  if (in_doubt()) {
    if (auto owners = owner_reader_.members(set, max, patience())) return owners;
    if (const auto ec = fold_still_whole()) return ec;
  }
  if (set == OrderSet::active) return index_.ids(max);
  return sets_.members(set, max);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::finished_record(OrderId order) const {
  if (behind() || in_doubt()) {
    auto owners = owner_reader_.record(order, patience());
    if (owners) {
      if (!*owners || (*owners)->second) return std::optional<IndexedOrder>{};  // none, or open
      return std::optional<IndexedOrder>(std::move((*owners)->first));
    }
    if (behind()) return owners.error();
    if (const auto ec = fold_still_whole()) return ec;
  }
  if (index_.contains(order)) return std::optional<IndexedOrder>{};  // open: no record of a finish
  if (auto done = finished_.recall(order)) return std::optional<IndexedOrder>(std::move(*done));
  return stored_finish(order);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::stored_finish(const OrderId& order) const {
  if (auto pending = checkpointer_->pending(order)) return std::optional<IndexedOrder>(std::move(*pending));
  return segments_.find(order);
}

}  // namespace oee::eventlog::jetstream::detail
