#pragma once
// RocksDB event listeners that keep the log's memory bounded: one hands
// freed memory back to the system, one keeps a failed flush from
// stalling appends for good.

#include <atomic>
#include <chrono>
#include <memory>

#include <rocksdb/listener.h>
#include <rocksdb/write_buffer_manager.h>

namespace oee::eventlog::detail {

// A flushed memtable frees megabytes at once, among the small blocks the
// cache keeps for long; malloc keeps the freed pages unless told, and the
// process's resident memory then grows with every flush however bounded
// what it holds is. Handing pages back costs page faults when they are
// taken again, so it is done after a flush or compaction at most once per
// interval.
class ReturnFreedMemory final : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { trim(); }
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override { trim(); }

 private:
  static constexpr std::chrono::seconds kInterval{10};

  void trim();

  std::atomic<std::chrono::steady_clock::rep> last_{0};
};

// Appends wait while the memtables are full, until a flush frees room. A
// flush that fails (a full disk) frees none, and this RocksDB would keep
// the writer waiting for good, before it could see the error and begin the
// log's recovery. So a background error lifts the bound; it is set again
// once RocksDB has recovered (here, or after the writer's DB::Resume()).
class LiftWriteStallOnError final : public rocksdb::EventListener {
 public:
  LiftWriteStallOnError(std::shared_ptr<rocksdb::WriteBufferManager> bound, std::size_t limit)
      : bound_(std::move(bound)), limit_(limit) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    if (error != nullptr && !error->ok()) bound_->SetBufferSize(kLifted);
  }
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) bound_->SetBufferSize(limit_);
  }

 private:
  static constexpr std::size_t kLifted = std::size_t{1} << 50;

  std::shared_ptr<rocksdb::WriteBufferManager> bound_;
  std::size_t limit_;
};

}  // namespace oee::eventlog::detail
