// The log's writer: the queue of appends, group commits, the degraded
// state after a failed write, and the flush at rest.

#include "eventlog/rocksdb/detail/log.h"

#include <malloc.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <rocksdb/write_batch.h>

#include "eventlog/rocksdb/detail/keys.h"

namespace oee::eventlog::detail {

template <class Push>
std::error_code RocksDbLog::enqueue(Push&& push) {
  if (mode_ != OpenMode::primary) return make_error_code(Errc::read_only);
  std::lock_guard lock(mu_);
  if (closing_) return make_error_code(Errc::closed);
  push(std::chrono::steady_clock::now());
  queue_cv_.notify_one();
  return {};
}

void RocksDbLog::append(AppendCommand command, AppendCompletion done) {
  const auto refused = enqueue([&](auto now) {
    queue_.push_back(Pending{EventAppend{std::move(command), std::move(done)}, now});
  });
  if (refused) done(refused);
}

void RocksDbLog::append_all(std::vector<AppendRequest> requests) {
  const auto refused = enqueue([&](auto now) {
    for (auto& r : requests) queue_.push_back(Pending{EventAppend{std::move(r.command), std::move(r.done)}, now});
  });
  if (refused) {
    for (auto& r : requests) r.done(refused);
  }
}

void RocksDbLog::store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) {
  const auto refused = enqueue([&](auto now) {
    queue_.push_back(Pending{CursorStore{std::move(name), seq, std::move(done)}, now});
  });
  if (refused) done(refused);
}

void RocksDbLog::writer_loop() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto ready = [&] { return !queue_.empty() || closing_; };
      if (degraded_.load(std::memory_order_relaxed)) {
        queue_cv_.wait_until(lock, next_recovery_, ready);  // wakes to try recovering, too
      } else if (rest_ != Rest::resting) {
        if (!queue_cv_.wait_until(lock, next_rest_, ready)) {
          lock.unlock();
          rest();
          continue;
        }
      } else {
        queue_cv_.wait(lock, ready);
      }
      if (queue_.empty() && closing_) break;  // closing and drained
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (degraded_.load(std::memory_order_relaxed) && !try_recover()) {
      fail(batch, make_error_code(Errc::unavailable));
      continue;
    }
    if (!batch.empty()) commit(batch);
  }
}

void RocksDbLog::fail(std::vector<Pending>& batch, std::error_code ec) {
  for (auto& p : batch) std::visit([ec](auto& entry) { entry.done(ec); }, p.what);
}

void RocksDbLog::enter_degraded(const std::string& cause) {
  {
    std::lock_guard lock(mu_);
    write_error_ = cause;
  }
  recovery_pause_ = std::chrono::milliseconds(100);
  next_recovery_ = std::chrono::steady_clock::now() + recovery_pause_;
  degraded_.store(true);
}

// Flushing at rest costs the writer nothing it would not pay later: the
// memtables are flushed when full anyway. It makes what a server holds
// between bursts its cache alone, and the trim hands back what the flushed
// memtables and the compactions after them freed, which malloc keeps.
void RocksDbLog::rest() {
  constexpr auto kFlushPoll = std::chrono::milliseconds(200);
  if (rest_ == Rest::written) {
    if (since_checkpoint_ > 0) write_checkpoint();
    rocksdb::FlushOptions flush;
    flush.wait = false;
    flush.allow_write_stall = true;
    // A failure here is a background error the next write reports and
    // recovers from, as after any flush.
    (void)db_->Flush(flush, handles_);
    rest_ = Rest::flushing;
    next_rest_ = std::chrono::steady_clock::now() + kFlushPoll;
    return;
  }
  std::uint64_t unflushed = 0;
  std::uint64_t running = 0;
  const bool known = db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumImmutableMemTable, &unflushed) &&
                     db_->GetIntProperty(rocksdb::DB::Properties::kNumRunningFlushes, &running);
  if (known && (unflushed > 0 || running > 0)) {
    next_rest_ = std::chrono::steady_clock::now() + kFlushPoll;
    return;
  }
  ::malloc_trim(0);
  rest_ = Rest::resting;
  stats_.rests.fetch_add(1);
}

bool RocksDbLog::try_recover() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_recovery_) return false;
  // Resume() clears RocksDB's background error only once it has flushed the
  // memtables and switched to a new WAL, i.e. once writes can succeed again.
  const auto s = db_->Resume();
  if (!s.ok()) {
    // write_error_ keeps the failure's cause: Resume() mostly answers
    // "busy" while RocksDB's own recovery waits for disk space.
    recovery_pause_ = std::min<std::chrono::milliseconds>(recovery_pause_ * 2, std::chrono::seconds(2));
    next_recovery_ = now + recovery_pause_;
    return false;
  }
  {
    std::lock_guard lock(mu_);
    write_error_.clear();
  }
  write_buffers_->SetBufferSize(options_.memtable_bytes);  // lifted on the error, see open_db
  degraded_.store(false);
  stats_.recoveries.fetch_add(1);
  return true;
}

std::string RocksDbLog::write_error() const {
  std::lock_guard lock(mu_);
  return write_error_;  // empty but while degraded, or after a close that failed
}

struct RocksDbLog::Staged {
  rocksdb::WriteBatch writes;
  std::vector<Record> records;                  // the events, in seq order
  std::vector<Result<AppendOutcome>> outcomes;  // one per entry of the batch
  std::vector<OrderIndex::Update> index;        // applied once durable
  std::uint64_t first_seq = 0;
};

// One group commit: stage the batch as one write, write it (fsync'd with
// sync durability), then make it visible (order index, head, listeners) and
// answer each entry. Nothing is visible or answered before the write is
// durable.
void RocksDbLog::commit(std::vector<Pending>& batch) {
  Staged staged = stage(batch);
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::sync;
  const bool writes = staged.writes.Count() > 0;
  const auto status = writes ? db_->Write(wo, &staged.writes) : rocksdb::Status::OK();
  const auto now = std::chrono::steady_clock::now();
  if (!status.ok()) {
    // Nothing of this batch is durable: give the seqs back and fail every
    // command, so the caller answers 503 instead of acknowledging.
    next_seq_ = staged.first_seq;
    stats_.failed_commits.fetch_add(1);
    enter_degraded(status.ToString());
    fail(batch, make_error_code(Errc::unavailable));
    return;
  }
  if (writes && options_.rest_after.count() > 0) {
    rest_ = Rest::written;
    next_rest_ = now + options_.rest_after;
  }
  stats_.open_orders.store(index_.apply(staged.index), std::memory_order_relaxed);
  since_checkpoint_ += staged.records.size();
  publish(staged.records, batch.size());
  complete(batch, staged.outcomes, now);
  if (since_checkpoint_ >= options_.checkpoint_events || (since_checkpoint_ > 0 && now >= next_checkpoint_)) {
    write_checkpoint();
  }
}

// Seqs are taken here; an idempotency key claimed before (in the log, or
// earlier in this batch) appends nothing and answers with the first claim.
RocksDbLog::Staged RocksDbLog::stage(std::vector<Pending>& batch) {
  Staged staged;
  staged.first_seq = next_seq_;
  staged.records.reserve(batch.size());
  staged.outcomes.reserve(batch.size());
  staged.index.reserve(batch.size());
  std::unordered_map<std::string, IdempotencyEntry> claimed;  // claims made earlier in this batch
  std::unordered_set<OrderId, OrderIdHash> in_batch;
  in_batch.reserve(batch.size());
  auto& wb = staged.writes;
  for (auto& p : batch) {
    if (auto* cursor = std::get_if<CursorStore>(&p.what)) {
      wb.Put(meta_, std::string(kCursorPrefix) + cursor->name, encode_seq_key(cursor->seq));
      staged.outcomes.emplace_back(AppendOutcome{});
      continue;
    }
    auto& cmd = std::get<EventAppend>(p.what).command;
    // An order neither open nor new may have finished before: its record
    // is read first, so a failed read fails this command and writes nothing.
    const OrderIndex::Entry* open = index_.find(cmd.order);
    std::optional<IndexedOrder> stored;
    if (!cmd.begins && open == nullptr && !in_batch.contains(cmd.order)) {
      auto record = finished_record(cmd.order);
      if (!record) {
        staged.outcomes.emplace_back(record.error());
        continue;
      }
      stored = std::move(*record);
    }
    if (cmd.idempotency) {
      const auto& key = cmd.idempotency->key;
      if (auto it = claimed.find(key); it != claimed.end()) {
        staged.outcomes.emplace_back(AppendOutcome{Seq{0}, TimestampNs{}, it->second});
        continue;
      }
      auto existing = idempotency(key);
      if (!existing) {
        staged.outcomes.emplace_back(existing.error());
        continue;
      }
      if (*existing) {
        staged.outcomes.emplace_back(AppendOutcome{Seq{0}, TimestampNs{}, **existing});
        continue;
      }
      claimed.emplace(key, IdempotencyEntry{cmd.order, cmd.idempotency->fingerprint});
      wb.Put(idempotency_, key, order_key(cmd.order) + cmd.idempotency->fingerprint);
    }

    Record rec{Seq{next_seq_++}, cmd.order, cmd.ts.value != 0 ? cmd.ts : TimestampNs::now(), cmd.type,
               std::move(cmd.payload)};
    wb.Put(events_, encode_seq_key(rec.seq), encode_record(rec));
    stage_index(cmd, rec.seq, open, std::move(stored), wb, staged.index, in_batch);
    for (const auto& [set, member] : cmd.set_membership) {
      if (set == OrderSet::active) continue;  // the order index's
      if (member) {
        wb.Put(order_sets_, set_key(set, rec.order), rocksdb::Slice());
      } else {
        wb.Delete(order_sets_, set_key(set, rec.order));
      }
    }
    staged.outcomes.emplace_back(AppendOutcome{rec.seq, rec.ts, std::nullopt});
    staged.records.push_back(std::move(rec));
  }
  return staged;
}

// What an order had before this event is needed only when the event
// finishes it (its record lists every seq) or opens it again (the index
// takes it back): from the index, from this batch, or from its record.
void RocksDbLog::stage_index(AppendCommand& cmd, Seq seq, const OrderIndex::Entry* open,
                             std::optional<IndexedOrder> stored, rocksdb::WriteBatch& wb,
                             std::vector<OrderIndex::Update>& updates,
                             std::unordered_set<OrderId, OrderIdHash>& in_batch) {
  OrderIndex::Update u{cmd.order, seq, std::move(cmd.snapshot), cmd.finishes, std::nullopt};
  OrderIndex::Entry before;
  if (!in_batch.insert(cmd.order).second) {
    // Once more in this batch (rare): what it had before, then this batch's.
    const auto first = std::find_if(updates.begin(), updates.end(), [&](const auto& x) { return x.order == cmd.order; });
    before = open != nullptr ? *open : first->reopened.value_or(OrderIndex::Entry{});
    for (auto it = first; it != updates.end(); ++it) {
      if (it->order != cmd.order) continue;
      before.seqs.push_back(it->seq);
      if (!it->snapshot.empty()) before.snapshot = it->snapshot;
    }
    u.reopened = before;
  } else if (open != nullptr) {
    if (u.finishes) before = *open;
  } else if (stored) {
    before = OrderIndex::Entry{std::move(stored->snapshot), std::move(stored->seqs)};
    u.reopened = before;
  }
  if (u.finishes) {
    before.seqs.push_back(seq);
    wb.Put(finished_, order_key(cmd.order), encode_order_record(u.snapshot.empty() ? before.snapshot : u.snapshot,
                                                                before.seqs));
  }
  updates.push_back(std::move(u));
}

// The open orders as they are after the head, replacing the checkpoint
// before: opening the log folds only the events after it.
void RocksDbLog::write_checkpoint() {
  const Seq at = head();
  rocksdb::WriteBatch wb;
  wb.DeleteRange(checkpoints_, encode_seq_key(Seq{0}), encode_seq_key(at));
  wb.DeleteRange(checkpoints_, encode_seq_key(at.next()), std::string(9, '\xff'));  // past every 8-byte key
  wb.Put(checkpoints_, encode_seq_key(at), index_.encode_checkpoint());
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::sync;
  const auto status = db_->Write(wo, &wb);
  if (!status.ok()) {
    enter_degraded(status.ToString());
    return;
  }
  since_checkpoint_ = 0;
  next_checkpoint_ = std::chrono::steady_clock::now() + options_.checkpoint_after;
  stats_.checkpoints.fetch_add(1, std::memory_order_relaxed);
}

// The new head, the stats, then the commit listeners (fan-out, publisher).
void RocksDbLog::publish(const std::vector<Record>& records, std::size_t batch_size) {
  if (!records.empty()) {
    {
      std::lock_guard lock(mu_);
      head_.store(records.back().seq.value, std::memory_order_release);
    }
    head_cv_.notify_all();
  }
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  stats_.events.fetch_add(records.size(), std::memory_order_relaxed);
  stats_.batch_size.observe(static_cast<double>(batch_size));
  if (records.empty()) return;
  listeners_->notify(records);
}

void RocksDbLog::complete(std::vector<Pending>& batch, std::vector<Result<AppendOutcome>>& outcomes,
                          std::chrono::steady_clock::time_point now) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& p = batch[i];
    stats_.append_latency_seconds.observe(std::chrono::duration<double>(now - p.queued_at).count());
    if (auto* cursor = std::get_if<CursorStore>(&p.what)) {
      cursor->done({});
    } else {
      std::get<EventAppend>(p.what).done(std::move(outcomes[i]));
    }
  }
}

}  // namespace oee::eventlog::detail
