// Rebuilding the order index when the log opens (and, in a secondary, as
// it follows): the latest checkpoint, then a fold of every event after it.

#include <stdexcept>

#include "eventlog/rocksdb/detail/log.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::detail {

void RocksDbLog::load_index() {
  const std::string advice = "; run oee-logdump --verify on a copy of the data directory";
  auto checkpoint = this->checkpoint();
  if (!checkpoint) throw std::runtime_error("the latest checkpoint cannot be read: " + checkpoint.error().message() + advice);
  Seq from{1};
  if (*checkpoint) {
    const Seq at = (*checkpoint)->seq;
    if (at > head()) {
      throw std::runtime_error("the checkpoint at seq " + std::to_string(at.value) + " is beyond the last event (seq " +
                               std::to_string(head().value) + "): the log is damaged" + advice);
    }
    index_.load_checkpoint(std::move((*checkpoint)->orders));
    from = at.next();
  }
  replay(from, head());
  // What was folded here is not checkpointed yet: an idle server still
  // writes it once it comes to rest.
  since_checkpoint_ = head().value - (from.value - 1);
  if (since_checkpoint_ > 0 && options_.rest_after.count() > 0) rest_ = Rest::written;
}

void RocksDbLog::replay(Seq from, Seq last) {
  const std::string advice =
      "; keep a copy of the data directory and run `oee-logdump --data-dir DIR --verify` to locate the damage. "
      "oee will not skip or truncate events.";
  // The orders whose finished record covers events still to come (most
  // orders that began after the checkpoint): their record is read once.
  FinishedThrough finished_through;
  for (Seq at = from; at <= last;) {
    auto raw = read_raw(at, 4096);
    if (!raw) throw std::runtime_error("cannot read the events from seq " + std::to_string(at.value) + advice);
    if (raw->empty()) break;
    for (const auto& value : *raw) {
      if (value.key > last) break;
      auto r = decode_record(value.value);
      std::error_code failed;
      if (!r) failed = r.error();
      if (!failed) failed = fold_into_index(*r, finished_through);
      if (failed) {
        // A secondary is how the damage gets found: it goes on, and its
        // audit names the seq.
        if (mode_ != OpenMode::primary) continue;
        throw std::runtime_error("event seq " + std::to_string(value.key.value) +
                                 " cannot be read or folded (" + failed.message() + ")" + advice);
      }
    }
    at = raw->back().key.next();
  }
  stats_.open_orders.store(index_.size(), std::memory_order_relaxed);
}

// One replayed event into the index: folded on its order's state before it.
std::error_code RocksDbLog::fold_into_index(const Record& r, FinishedThrough& finished_through) {
  OrderIndex::Update u{r.order, r.seq, {}, false, std::nullopt};
  std::string_view before;
  const OrderIndex::Entry* open = index_.find(r.order);
  std::optional<IndexedOrder> record;
  if (open != nullptr) {
    before = open->snapshot;
  } else {
    if (const auto it = finished_through.find(r.order); it != finished_through.end() && it->second >= r.seq) return {};
    auto stored = finished_record(r.order);
    if (!stored) return stored.error();
    if (*stored) {
      // A record that reaches this event was written when the order
      // finished, here or later: the index has nothing to do until an
      // event after it opens the order again.
      if ((*stored)->seqs.back() >= r.seq) {
        finished_through[r.order] = (*stored)->seqs.back();
        return {};
      }
      record = std::move(**stored);
      before = record->snapshot;
    }
  }
  auto folded = options_.fold ? options_.fold(before, r) : Result<FoldedEvent>(FoldedEvent{std::string(before)});
  if (!folded) return folded.error();
  // A finishing event's record was written with it: the index lets go.
  u.finishes = folded->finishes;
  u.snapshot = std::move(folded->snapshot);
  if (record) u.reopened = OrderIndex::Entry{std::move(record->snapshot), std::move(record->seqs)};
  index_.apply(std::span(&u, 1));
  return {};
}

}  // namespace oee::eventlog::detail
