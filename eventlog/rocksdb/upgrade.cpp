// Converting a log of the first format (oee-log-v1) in place. That format
// wrote, with every event, its order's snapshot and an order->seq index
// entry, and kept an `active` set. The conversion writes what the events-
// only format keeps instead: a record for every finished order (and API
// key), and one checkpoint of the open orders at the head. The marker
// turns to the new format in the last write, so a conversion cut short by
// a crash starts again from the beginning on the next start; the retired
// families are dropped after it.

#include <limits>
#include <stdexcept>
#include <unordered_set>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "eventlog/rocksdb/detail/keys.h"
#include "eventlog/rocksdb/detail/log.h"

namespace oee::eventlog::detail {

namespace {

rocksdb::ColumnFamilyHandle* family(const std::vector<rocksdb::ColumnFamilyHandle*>& handles, const std::string& name) {
  for (auto* h : handles) {
    if (h->GetName() == name) return h;
  }
  throw std::runtime_error("the event log is in the first format but has no '" + name + "' family");
}

}  // namespace

void RocksDbLog::upgrade_from_v1() {
  constexpr std::size_t kRecordsPerWrite = 10'000;
  auto* order_index = family(retired_, "order_index");
  auto* snapshots = family(retired_, "snapshots");
  const auto fail = [this](const std::string& what) {
    throw std::runtime_error("cannot convert the event log at '" + options_.path + "' to the current format: " +
                             what + ". No event was changed, and the conversion starts again on the next start; "
                             "keep a copy of the data directory and find the cause first.");
  };
  rocksdb::ReadOptions scan;
  scan.total_order_seek = true;  // these families are hashed by order; the scan spans them all
  scan.fill_cache = false;

  const auto members = [&](OrderSet set) {
    auto ids = stored_members(set, std::numeric_limits<std::size_t>::max());
    if (!ids) fail("the order sets cannot be read: " + ids.error().message());
    return std::unordered_set<OrderId, OrderIdHash>(ids->begin(), ids->end());
  };
  const auto active = members(OrderSet::active);
  const auto keys = members(OrderSet::api_keys);

  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::vector<IndexedOrder> open;
  rocksdb::WriteBatch records;
  std::uint64_t finished = 0;
  const auto convert = [&](const OrderId& order, std::vector<Seq> seqs) {
    bool found = false;
    auto stored = get_value(*db_, snapshots, order_key(order), found);
    if (!stored) fail("the snapshot of " + order.str() + " cannot be read");
    std::string snapshot;
    if (found) {
      if (stored->size() < 8 || decode_seq_key(*stored) != seqs.back()) {
        fail("the snapshot of " + order.str() + " is not at its last event");
      }
      snapshot = stored->substr(8);
    } else if (!keys.contains(order)) {
      fail("order " + order.str() + " has events but no snapshot");
    }
    if (active.contains(order)) {
      open.push_back(IndexedOrder{order, std::move(snapshot), std::move(seqs)});
      return;
    }
    records.Put(finished_, order_key(order), encode_order_record(snapshot, seqs));
    if (++finished % kRecordsPerWrite == 0) {
      if (const auto s = db_->Write(wo, &records); !s.ok()) fail(s.ToString());
      records.Clear();
    }
  };

  // The index is keyed by order then seq: each order's seqs come together.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan, order_index));
    std::optional<OrderId> current;
    std::vector<Seq> seqs;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 24) fail("an order index entry has a malformed key");
      const OrderId order = order_at(it->key().data());
      if (current && order != *current) convert(*current, std::exchange(seqs, {}));
      current = order;
      seqs.push_back(decode_seq_key(std::string_view(it->key().data() + 16, 8)));
    }
    if (!it->status().ok()) fail("the order index cannot be read: " + it->status().ToString());
    if (current) convert(*current, std::move(seqs));
  }

  const Seq head = load_head();
  const std::size_t open_count = open.size();
  index_.load_checkpoint(std::move(open));
  records.DeleteRange(order_sets_, std::string(1, static_cast<char>(OrderSet::active)),
                      std::string(1, static_cast<char>(static_cast<std::uint8_t>(OrderSet::active) + 1)));
  records.Put(checkpoints_, encode_seq_key(head), index_.encode_checkpoint());
  records.Put(meta_, std::string(kFormatKey), std::string(kFormatValue));
  if (const auto s = db_->Write(wo, &records); !s.ok()) fail(s.ToString());
  spdlog::info("event log converted to the events-only format: {} finished orders and keys, {} open orders, "
               "head seq {}", finished, open_count, head.value);
}

// Once converted (by this start or one before it that stopped after the
// marker was written).
void RocksDbLog::drop_retired_families() {
  if (retired_.empty() || mode_ != OpenMode::primary) return;
  for (auto* h : retired_) {
    const auto s = db_->DropColumnFamily(h);
    if (!s.ok()) throw std::runtime_error("cannot retire the first format's families: " + s.ToString());
    (void)db_->DestroyColumnFamilyHandle(h);
    handles_.erase(std::find(handles_.begin(), handles_.end(), h));
  }
  retired_.clear();
}

}  // namespace oee::eventlog::detail
