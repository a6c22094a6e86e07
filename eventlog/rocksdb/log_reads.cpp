// The log's reads: events by seq and by order, derived state, cursors.

#include "eventlog/rocksdb/detail/log.h"

#include <mutex>


#include "eventlog/rocksdb/detail/keys.h"

namespace oee::eventlog::detail {

Result<std::vector<Record>> RocksDbLog::read(Seq from, std::size_t max) const {
  std::vector<Record> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions{}, events_));
  const auto start = encode_seq_key(from);
  for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
    auto rec = decode_record(std::string_view(it->value().data(), it->value().size()));
    if (!rec) return rec.error();
    out.push_back(std::move(*rec));
  }
  if (!it->status().ok()) return make_error_code(Errc::io_error);
  return out;
}

Result<std::vector<RawRecord>> RocksDbLog::read_raw(Seq from, std::size_t max) const {
  std::vector<RawRecord> out;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // audits scan everything once
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  for (it->Seek(encode_seq_key(from)); it->Valid() && out.size() < max; it->Next()) {
    out.push_back(RawRecord{decode_seq_key(std::string_view(it->key().data(), it->key().size())),
                            it->value().ToString()});
  }
  if (!it->status().ok()) return make_error_code(Errc::io_error);
  return out;
}

Result<std::vector<Record>> RocksDbLog::read_order(OrderId order, Seq from) const {
  std::vector<Seq> seqs;
  if (auto open = index_.seqs(order)) {
    seqs = std::move(*open);
  } else {
    auto record = finished_record(order);
    if (!record) return record.error();
    if (*record) seqs = std::move((*record)->seqs);
  }
  std::erase_if(seqs, [from](Seq s) { return s < from; });
  std::vector<std::string> keys;
  keys.reserve(seqs.size());
  for (const auto seq : seqs) keys.push_back(encode_seq_key(seq));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values(keys.size());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), events_);
  const auto statuses = db_->MultiGet(rocksdb::ReadOptions{}, cfs, slices, &values);
  std::vector<Record> out;
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!statuses[i].ok()) return make_error_code(statuses[i].IsNotFound() ? Errc::corrupted : Errc::io_error);
    auto rec = decode_record(values[i]);
    if (!rec) return rec.error();
    if (rec->order != order) return make_error_code(Errc::corrupted);
    out.push_back(std::move(*rec));
  }
  return out;
}

Result<std::optional<OrderSnapshotEntry>> RocksDbLog::snapshot(OrderId order) const {
  if (auto open = index_.snapshot(order)) return std::optional<OrderSnapshotEntry>{std::move(*open)};
  auto record = finished_record(order);
  if (!record) return record.error();
  if (!*record) return std::optional<OrderSnapshotEntry>{};
  // A key's record holds no snapshot: it is no order.
  if ((*record)->snapshot.empty()) return std::optional<OrderSnapshotEntry>{};
  return std::optional<OrderSnapshotEntry>{
      OrderSnapshotEntry{(*record)->seqs.back(), std::move((*record)->snapshot)}};
}

Result<std::optional<IndexedOrder>> RocksDbLog::finished_record(OrderId order) const {
  bool found = false;
  auto value = get_value(*db_, finished_, order_key(order), found);
  if (!value) return value.error();
  if (!found) return std::optional<IndexedOrder>{};
  auto record = decode_order_record(order, *value);
  if (!record) return record.error();
  return std::optional<IndexedOrder>{std::move(*record)};
}

Result<std::optional<Checkpoint>> RocksDbLog::checkpoint() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions{}, checkpoints_));
  it->SeekToLast();
  if (!it->status().ok()) return make_error_code(Errc::io_error);
  if (!it->Valid()) return std::optional<Checkpoint>{};
  auto orders = decode_checkpoint(std::string_view(it->value().data(), it->value().size()));
  if (!orders) return orders.error();
  return std::optional<Checkpoint>{
      Checkpoint{decode_seq_key(std::string_view(it->key().data(), it->key().size())), std::move(*orders)}};
}

Result<std::vector<OrderId>> RocksDbLog::members(OrderSet set, std::size_t max) const {
  if (set == OrderSet::active) return index_.ids(max);
  return stored_members(set, max);
}

Result<std::vector<OrderId>> RocksDbLog::stored_members(OrderSet set, std::size_t max) const {
  std::vector<OrderId> out;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // the prefix extractor covers whole keys; a set spans many
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, order_sets_));
  const std::string prefix(1, static_cast<char>(set));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < max; it->Next()) {
    if (it->key().size() != 17) return make_error_code(Errc::corrupted);
    out.push_back(order_at(it->key().data() + 1));
  }
  if (!it->status().ok()) return make_error_code(Errc::io_error);
  return out;
}

Result<std::optional<IdempotencyEntry>> RocksDbLog::idempotency(std::string_view key) const {
  bool found = false;
  auto value = get_value(*db_, idempotency_, key, found);
  if (!value) return value.error();
  if (!found) return std::optional<IdempotencyEntry>{};
  if (value->size() < 16) return make_error_code(Errc::corrupted);
  return std::optional<IdempotencyEntry>{IdempotencyEntry{order_at(value->data()), value->substr(16)}};
}

Seq RocksDbLog::wait_beyond(Seq after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  head_cv_.wait_for(lock, timeout, [&] { return head_.load() > after.value || closed_; });
  return head();
}

CommitSubscription RocksDbLog::on_commit(CommitListener listener) { return listeners_->add(std::move(listener)); }

Result<Seq> RocksDbLog::refresh() {
  if (mode_ == OpenMode::primary) return head();
  // One at a time: the fold reads the index without its lock. The index
  // takes the new events before head() shows them, so a reader never sees
  // an event its order's index entry lacks, and a fold that fails is
  // tried again by the next refresh.
  std::lock_guard refreshing(refresh_mu_);
  if (!db_->TryCatchUpWithPrimary().ok()) return make_error_code(Errc::io_error);
  try {
    const Seq before = head();
    const Seq last = load_head();
    if (last > before) replay(before.next(), last);
    {
      std::lock_guard lock(mu_);
      head_.store(last.value);
    }
    head_cv_.notify_all();
    return last;
  } catch (const std::exception&) {
    return make_error_code(Errc::corrupted);
  }
}

Result<Seq> RocksDbLog::cursor(std::string_view name) const {
  bool found = false;
  auto value = get_value(*db_, meta_, std::string(kCursorPrefix) + std::string(name), found);
  if (!value) return value.error();
  return found ? decode_seq_key(*value) : Seq{0};
}

std::uint64_t RocksDbLog::disk_bytes() const {
  std::uint64_t total = 0;
  for (auto* h : handles_) {
    std::uint64_t size = 0;
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &size)) total += size;
    if (db_->GetIntProperty(h, "rocksdb.size-all-mem-tables", &size)) total += size;
  }
  return total;
}

MemoryUse RocksDbLog::memory() const {
  MemoryUse use;
  for (auto* h : handles_) {
    std::uint64_t size = 0;
    if (db_->GetIntProperty(h, "rocksdb.size-all-mem-tables", &size)) use.memtables += size;
    if (db_->GetIntProperty(h, "rocksdb.estimate-table-readers-mem", &size)) use.table_readers += size;
  }
  if (block_cache_ != nullptr) {
    use.block_cache = block_cache_->GetUsage();
    use.block_cache_capacity = block_cache_->GetCapacity();
  }
  if (write_buffers_ != nullptr) use.memtable_limit = write_buffers_->buffer_size();
  return use;
}

}  // namespace oee::eventlog::detail
