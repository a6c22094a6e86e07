#pragma once
// RocksDB implementation of EventLogWriter.
//
// On-disk layout (column families; integers are fixed64 big-endian):
//
//   default      "format"          -> "oee-log-v2"       marks an oee log
//                "log_id"          -> UUID text          this log, not another
//                "cursor/" name    -> seq                consumer cursors
//   events       seq               -> record             record_codec.h
//   finished     order(16)         -> order record       order_index.h
//   checkpoints  seq               -> checkpoint         order_index.h (the latest only)
//   order_sets   set(1) order(16)  -> ""                 dead-letter, API keys
//   idempotency  key               -> order(16) fingerprint
//
// An append writes its event, and with it only what it claims (an
// idempotency key), the rare set changes, and the record of an order it
// finishes, in one WriteBatch; a group commit writes many in one batch.
// The open orders live in the order index, in memory; opening the log
// loads the latest checkpoint and folds the events after it.
//
// A log of the first format (per-event `order_index` and `snapshots`
// families, and an `active` set) is converted when a primary opens it:
// upgrade.cpp.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <variant>
#include <unordered_map>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/write_buffer_manager.h>

#include "eventlog/detail/commit_listeners.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/event_log.h"
#include "eventlog/rocksdb/rocksdb_log.h"

namespace oee::eventlog::detail {

enum class OpenMode { primary, secondary };

// One class for both modes: a secondary is handed out as a LogPartitionReader,
// and its writer methods also refuse at run time.
class RocksDbLog final : public LogPartitionWriter {
 public:
  /// `env`: the storage RocksDB writes through; null is the machine's.
  /// Crash tests pass one that can lose power. It must outlive the log.
  RocksDbLog(const Options& options, OpenMode mode, rocksdb::Env* env = nullptr);
  ~RocksDbLog() override;

  void append(AppendCommand command, AppendCompletion done) override;
  void append_all(std::vector<AppendRequest> requests) override;
  Seq head() const override { return Seq{head_.load(std::memory_order_acquire)}; }
  Result<std::vector<Record>> read(Seq from, std::size_t max) const override;
  Result<std::vector<Record>> read_order(OrderId order, Seq from) const override;
  Result<std::vector<RawRecord>> read_raw(Seq from, std::size_t max) const override;
  Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const override;
  Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const override;
  Result<std::optional<Checkpoint>> checkpoint() const override;
  Result<std::optional<IndexedOrder>> finished_record(OrderId order) const override;
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override;
  CommitSubscription on_commit(CommitListener listener) override;
  Result<Seq> refresh() override;
  Result<Seq> cursor(std::string_view name) const override;
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override;
  const std::string& id() const override { return id_; }
  std::string write_error() const override;
  const Stats& stats() const override { return stats_; }
  std::uint64_t disk_bytes() const override;
  MemoryUse memory() const override;
  std::error_code close() override;

 private:
  // One entry of the writer's queue: an event to append or a cursor to
  // store, told apart by type.
  struct EventAppend {
    AppendCommand command;
    AppendCompletion done;
  };
  struct CursorStore {
    std::string name;
    Seq seq;
    std::function<void(std::error_code)> done;
  };
  struct Pending {
    std::variant<EventAppend, CursorStore> what;
    std::chrono::steady_clock::time_point queued_at;
  };
  struct Staged;  // a batch turned into one RocksDB write

  void open_db();
  // The steps of open_db(), in order.
  bool check_directory() const;  // whether a log is there already
  rocksdb::DBOptions db_options();
  std::vector<rocksdb::ColumnFamilyDescriptor> column_families();
  void open_rocksdb(rocksdb::DBOptions db_options, const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors);
  void check_format(bool existed);
  void upgrade_from_v1();         // upgrade.cpp
  void drop_retired_families();  // upgrade.cpp
  void load_id();
  // index_recovery.cpp: the latest checkpoint, then the events after it.
  void load_index();
  // Folds the events from `from` to `last` into the order index. An event
  // that does not read or fold: a secondary skips it, a primary throws.
  void replay(Seq from, Seq last);
  // Queues what `push` adds (given the time), under the queue's lock, and
  // wakes the writer; or says why not (a secondary, or closing).
  template <class Push>
  std::error_code enqueue(Push&& push);
  // Per order, the last seq of its finished record, as far as one replay
  // has read it.
  using FinishedThrough = std::unordered_map<OrderId, Seq, OrderIdHash>;
  std::error_code fold_into_index(const Record& record, FinishedThrough& finished_through);
  // The order a key was claimed for, as stored: what the writer answers
  // an append whose claim is taken.
  Result<std::optional<IdempotencyEntry>> idempotency(std::string_view key) const;
  // A set as stored in order_sets (every set but `active`, and `active` in
  // a log of the first format).
  Result<std::vector<OrderId>> stored_members(OrderSet set, std::size_t max) const;
  void release_db();
  Seq load_head() const;
  void writer_loop();
  void commit(std::vector<Pending>& batch);
  // The steps of commit(), in order.
  Staged stage(std::vector<Pending>& batch);
  void publish(const std::vector<Record>& records, std::size_t batch_size);
  void complete(std::vector<Pending>& batch, std::vector<Result<AppendOutcome>>& outcomes,
                std::chrono::steady_clock::time_point now);
  // Stages one event's change of the order index (and its finished record).
  // `open` is the order's index entry, `stored` its record when it has no
  // entry and is not new.
  void stage_index(AppendCommand& cmd, Seq seq, const OrderIndex::Entry* open, std::optional<IndexedOrder> stored,
                   rocksdb::WriteBatch& wb, std::vector<OrderIndex::Update>& updates,
                   std::unordered_set<OrderId, OrderIdHash>& in_batch);
  void write_checkpoint();  // writer thread
  void enter_degraded(const std::string& cause);  // writer thread
  void rest();                                    // writer thread
  bool try_recover();                             // writer thread
  static void fail(std::vector<Pending>& batch, std::error_code ec);

  Options options_;
  OpenMode mode_;
  rocksdb::Env* env_ = nullptr;
  std::string owned_secondary_dir_;  // a temp dir this instance made and removes
  std::string id_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers_;  // a primary's memtable bound
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* finished_ = nullptr;
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;
  rocksdb::ColumnFamilyHandle* order_sets_ = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency_ = nullptr;
  // Families of the first format, open until an upgrade drops them.
  std::vector<rocksdb::ColumnFamilyHandle*> retired_;

  OrderIndex index_;
  std::mutex refresh_mu_;  // a secondary's refresh()
  std::uint64_t since_checkpoint_ = 0;                        // events; writer thread only
  std::chrono::steady_clock::time_point next_checkpoint_{};  // writer thread only

  std::atomic<std::uint64_t> head_{0};
  std::uint64_t next_seq_ = 1;  // writer thread only

  mutable std::mutex mu_;
  mutable std::condition_variable queue_cv_;
  mutable std::condition_variable head_cv_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  bool closed_ = false;
  // Set when the storage failed a write; then the writer only calls
  // RocksDB's recovery (DB::Resume), never another write, until it succeeds:
  // a RocksDB in a background error must be recovered through its API.
  std::atomic<bool> degraded_{false};
  std::string write_error_;                                 // under mu_
  std::chrono::steady_clock::time_point next_recovery_{};  // writer thread only
  std::chrono::milliseconds recovery_pause_{0};            // writer thread only
  // At rest: no write for options_.rest_after. The writer then flushes the
  // memtables, and once the flushes are done, trims the heap.
  enum class Rest { resting, written, flushing };
  Rest rest_ = Rest::resting;                        // writer thread only
  std::chrono::steady_clock::time_point next_rest_{};  // writer thread only

  std::shared_ptr<CommitListeners> listeners_ = std::make_shared<CommitListeners>();
  Stats stats_;
  std::thread writer_;
};

}  // namespace oee::eventlog::detail
