// The partition log's reads: an order's events, state and finished
// record, from the index and the finished orders cached here, or from the
// directory of finished orders; its records from the batches that hold
// them, found by position; the sets; where an order is.
#include <charconv>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

void JetStreamPartitionLog::note_batch(const Batch& batch, Seq stream_seq) {
  batch_positions_.note(batch.first, batch.entries.size(), stream_seq);
}

Result<Seq> JetStreamPartitionLog::locate(Seq position) const {
  if (const auto known = batch_positions_.find(position)) return *known;
  // Older than what is remembered here: the stream's batches are in
  // position order, each saying which positions it holds.
  auto state = connection_.stream_state(stream_);
  if (!state) return state.error();
  std::uint64_t lo = state->first.value, hi = state->last.value;
  while (lo != 0 && lo <= hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto m = connection_.get(stream_, Seq{mid});
    if (!m) return m.error();
    const auto holds = *m ? batch_of(**m) : std::nullopt;
    if (!holds) return make_error_code(Errc::corrupted);
    if (position < holds->first) {
      hi = mid - 1;
    } else if (position.value >= holds->first.value + holds->second) {
      lo = mid + 1;
    } else {
      return Seq{mid};
    }
  }
  return std::error_code(JsErrc::not_found);
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::order_record(const OrderId& order) const {
  if (behind()) return owners_order(order);
  for (int look = 0; look < 2; ++look) {
    // Open, or finished lately: from memory (looked at twice, for the
    // follower may finish it between the two). An open order's snapshot
    // may be empty (no event of it gave one yet): it is open all the same.
    if (auto open = index_.open_order(order)) return open;
    if (auto done = finished_.recall(order)) return std::optional<IndexedOrder>(std::move(*done));
  }
  return directory_find(order);
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

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::owners_order(const OrderId& order) const {
  auto owners = owner_reader_.record(order, patience());
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

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::fold_order(const OrderId& order, Seq through) const {
  auto record = order_record(order);
  if (!record || !*record || (*record)->seqs.back() <= through) return record;
  // Its record is of a later state than `through` (a reader folding an
  // order that was opened again later): folded from its events.
  std::vector<Seq> positions;
  for (const auto s : (*record)->seqs)
    if (s <= through) positions.push_back(s);
  auto events = records_at(positions);
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

Result<Batch> JetStreamPartitionLog::batch_at(Seq position) const {
  auto seq = locate(position);
  if (!seq) return seq.error();
  auto m = connection_.get(stream_, *seq);
  if (!m) return m.error();
  if (!*m) return std::error_code(JsErrc::not_found);
  auto batch = decode_batch((*m)->data, options_.partition);
  if (!batch) return batch.error();
  if (position < batch->first || position > batch->last()) return make_error_code(Errc::corrupted);
  return batch;
}

Result<std::vector<Record>> JetStreamPartitionLog::records_at(const std::vector<Seq>& positions) const {
  std::vector<Record> out;
  out.reserve(positions.size());
  std::optional<Batch> batch;
  for (const auto position : positions) {
    if (!batch || position < batch->first || position > batch->last()) {
      auto found = batch_at(position);
      if (!found) return found.error();
      batch = std::move(*found);
    }
    out.push_back(batch->entries[position.value - batch->first.value].record);
  }
  return out;
}

Result<std::string> JetStreamPartitionLog::first_entry(const OrderId& order, Seq position) const {
  auto batch = batch_at(position);
  if (!batch) return batch.error();
  const auto& e = batch->entries[position.value - batch->first.value];
  if (e.record.order != order) return make_error_code(Errc::corrupted);
  return e.fingerprint;
}

std::error_code JetStreamPartitionLog::for_each_batch(Seq from, std::size_t max,
                                                      const std::function<std::size_t(const StoredMessage&)>& visit) const {
  if (max == 0) return {};
  if (behind()) {
    auto stored = stored_head();
    if (!stored) return stored.error();
    if (from > *stored) return {};
  } else if (from > head()) {
    return {};
  }
  auto seq = locate(from);
  if (!seq) return seq.error();
  for (std::size_t taken = 0; taken < max;) {
    auto messages = connection_.read(stream_, subjects_, *seq, std::min<std::size_t>(max - taken, 256));
    if (!messages) return messages.error();
    if (messages->empty()) break;
    for (const auto& m : *messages) {
      *seq = m.seq.next();
      taken += visit(m);
      if (taken >= max) break;
    }
  }
  return {};
}

Result<std::vector<Record>> JetStreamPartitionLog::read_positions(Seq from, std::size_t max) const {
  from = std::max(from, Seq{1});
  std::vector<Record> out;
  std::error_code failed;
  const auto ec = for_each_batch(from, max, [&](const StoredMessage& m) -> std::size_t {
    auto batch = decode_batch(m.data, options_.partition);
    if (!batch) {
      failed = batch.error();
      return max;  // stops here
    }
    const auto before = out.size();
    for (auto& e : batch->entries)
      if (e.record.seq >= from && out.size() < max) out.push_back(std::move(e.record));
    return out.size() - before;
  });
  if (ec) return ec;
  if (failed) return failed;
  return out;
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
  return records_at(positions);
}

Result<std::vector<RawRecord>> JetStreamPartitionLog::read_raw(Seq from, std::size_t max) const {
  from = std::max(from, Seq{1});
  std::vector<RawRecord> out;
  const auto ec = for_each_batch(from, max, [&](const StoredMessage& m) -> std::size_t {
    const auto before = out.size();
    auto batch = decode_batch(m.data, options_.partition);
    if (!batch) {
      // What it says it holds, each position with a value that does not
      // decode: an audit reports them one by one.
      if (const auto holds = batch_of(m)) {
        for (std::uint64_t i = 0; i < holds->second && out.size() < max; ++i)
          if (holds->first.value + i >= from.value) out.push_back(RawRecord{Seq{holds->first.value + i}, m.data});
      }
      return out.size() - before;
    }
    for (auto& e : batch->entries) {
      if (e.record.seq < from || out.size() >= max) continue;
      const Seq at = e.record.seq;
      e.record.seq = Seq{0};
      e.record.partition.reset();
      out.push_back(RawRecord{at, encode_record(e.record)});
    }
    return out.size() - before;
  });
  if (ec) return ec;
  return out;
}

Result<std::optional<OrderSnapshotEntry>> JetStreamPartitionLog::snapshot(OrderId order) const {
  if (!behind() && !in_doubt()) {
    if (auto open = index_.snapshot(order)) return open;
  }
  auto record = read_record(order);
  if (!record) return record.error();
  // A record with no snapshot is no order's (an API key's), as in the
  // embedded log.
  if (!*record || (*record)->snapshot.empty()) return std::optional<OrderSnapshotEntry>{};
  return std::optional<OrderSnapshotEntry>(OrderSnapshotEntry{(*record)->seqs.back(), std::move((*record)->snapshot)});
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
  return directory_find(order);
}

}  // namespace oee::eventlog::jetstream::detail
