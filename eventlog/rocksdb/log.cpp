#include "eventlog/rocksdb/detail/log.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <pthread.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_buffer_manager.h>

#include "eventlog/rocksdb/detail/info_log_file.h"
#include "eventlog/rocksdb/detail/memory_listeners.h"
#include "eventlog/rocksdb/detail/keys.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog {

std::string_view durability_name(Durability d) { return d == Durability::sync ? "sync" : "async"; }

namespace {

constexpr std::string_view kLogIdKey = "log_id";
const std::vector<std::string> kColumnFamilies = {"default", "events", "finished", "checkpoints", "order_sets",
                                                  "idempotency"};
// The first format's per-event families: opened only to be converted and dropped.
const std::vector<std::string> kRetiredFamilies = {"order_index", "snapshots"};

// What an operator should do about a log that would not open: the hint
// follows the cause, so a permission problem is not read as damage.
std::string open_failure_hint(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  if (text.find("Permission denied") != std::string::npos) {
    return ". The user running this process may not read or write that directory: fix its owner or "
           "permissions (the whole data directory belongs to the user oee runs as).";
  }
  if (s.IsNoSpace() || text.find("No space left") != std::string::npos) {
    return ". The disk is full: free some space and start again; nothing in the log was lost.";
  }
  if (s.IsCorruption()) {
    return ". The log is damaged: keep a copy and inspect it with oee-logdump --verify; oee never truncates or "
           "skips events on its own.";
  }
  return ". Check that the directory is readable and writable and the disk is healthy.";
}

}  // namespace

namespace detail {

RocksDbLog::RocksDbLog(const Options& options, OpenMode mode, rocksdb::Env* env)
    : options_(options), mode_(mode), env_(env) {
  if (options_.max_batch == 0) options_.max_batch = 4096;
  try {
    open_db();
    const Seq last = load_head();
    head_.store(last.value);
    next_seq_ = last.value + 1;
    load_index();
    next_checkpoint_ = std::chrono::steady_clock::now() + options_.checkpoint_after;
  } catch (...) {
    // The destructor does not run for a constructor that throws: release
    // the database here, or RocksDB aborts on the leaked handles.
    release_db();
    throw;
  }
  if (mode_ == OpenMode::primary) {
    writer_ = std::thread([this] {
      if (options_.on_writer_start) options_.on_writer_start();
      // Named once set up (top -H, perf, gdb, and tests that wait for it).
      pthread_setname_np(pthread_self(), "oee-log-writer");
      writer_loop();
    });
  }
}

RocksDbLog::~RocksDbLog() {
  close();
  release_db();
}

void RocksDbLog::release_db() {
  if (db_) {
    // Background flushes and compactions hold column family references; the
    // handles can only go once they have stopped.
    rocksdb::CancelAllBackgroundWork(db_.get(), true);
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    (void)db_->Close();
    db_.reset();
  }
  if (!owned_secondary_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(owned_secondary_dir_, ec);
    owned_secondary_dir_.clear();
  }
}

// Opening takes six named steps: each refuses with a message that says
// what to do, and nothing is written to a directory that is not ours.
void RocksDbLog::open_db() {
  const bool exists = check_directory();
  const auto descriptors = column_families();
  open_rocksdb(db_options(), descriptors);
  check_format(exists);
  drop_retired_families();
  load_id();
}

bool RocksDbLog::check_directory() const {
  namespace fs = std::filesystem;
  const fs::path path(options_.path);
  std::error_code ec;
  const bool exists = fs::exists(path / "CURRENT", ec);
  if (exists) return true;
  if (ec == std::errc::permission_denied) {
    throw std::runtime_error("cannot open the event log at '" + options_.path + "': " + ec.message() +
                             open_failure_hint(rocksdb::Status::IOError(ec.message())));
  }
  if (mode_ != OpenMode::primary) {
    throw std::runtime_error("no oee event log at '" + options_.path + "' (no RocksDB CURRENT file); check --data-dir");
  }
  if (fs::exists(path) && !fs::is_empty(path)) {
    throw std::runtime_error("'" + options_.path +
                             "' is not empty and holds no oee event log; point --data-dir at an empty or "
                             "existing oee data directory");
  }
  return false;
}

rocksdb::DBOptions RocksDbLog::db_options() {
  rocksdb::DBOptions db_options;
  if (env_ != nullptr) db_options.env = env_;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Bounds what a restart after a crash must replay from the WAL: older
  // memtables are flushed once the WAL holds this much.
  db_options.max_total_wal_size = 64 << 20;
  // One writer thread; and hash memtables do not take concurrent inserts.
  db_options.allow_concurrent_memtable_write = false;
  if (mode_ == OpenMode::primary) {
    // The memtables' bound: past it, writes wait for a flush (allow_stall),
    // where RocksDB's own limit, a number of memtables per family, let them
    // pile up to several times it while flushes fell behind.
    write_buffers_ = std::make_shared<rocksdb::WriteBufferManager>(options_.memtable_bytes, nullptr,
                                                                   /*allow_stall=*/true);
    db_options.write_buffer_manager = write_buffers_;
    db_options.listeners.push_back(std::make_shared<LiftWriteStallOnError>(write_buffers_, options_.memtable_bytes));
  }
  db_options.listeners.push_back(std::make_shared<ReturnFreedMemory>());
  return db_options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> RocksDbLog::column_families() {
  // Table files, for every family: one block cache, so reads of orders
  // already flushed (the executor taking up a queued order, GET
  // /api/orders/{id}) skip the pread and the block's checksum; and XXH3
  // block checksums, since this RocksDB computes CRC32C in software.
  // The cache is the log's second memory bound, whatever the number of
  // events ever written: it holds the table files' index and filter blocks
  // too, instead of one more set per file for good; the newest files'
  // blocks stay pinned, since every read looks there.
  rocksdb::BlockBasedTableOptions table;
  block_cache_ = rocksdb::NewLRUCache(options_.block_cache_bytes);
  table.block_cache = block_cache_;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.checksum = rocksdb::kXXH3;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.OptimizeLevelStyleCompaction(64 << 20);
  // That sets 2, and with more than one memtable merged per flush, this
  // RocksDB's Flush(wait) can wait forever for a memtable no flush picks:
  // close() hung so, with the background threads idle, after a few
  // hundred thousand events (rocksdb issue 13280). One per flush.
  cf_options.min_write_buffer_number_to_merge = 1;
  cf_options.compression = rocksdb::kNoCompression;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Point-read families also get a Bloom filter: a point read would
  // otherwise search the index of every level-0 file, and an idempotency
  // key's lookup is usually a miss.
  auto point_read_options = cf_options;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  point_read_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // A primary creates the families it lacks; a secondary opens those there
  // are (a log of the first format lacks some: check_format says what to do).
  std::vector<std::string> names = kColumnFamilies;
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, options_.path, &existing).ok()) {
    const auto there = [&](const std::string& name) {
      return std::find(existing.begin(), existing.end(), name) != existing.end();
    };
    if (mode_ != OpenMode::primary) std::erase_if(names, [&](const std::string& name) { return !there(name); });
    for (const auto& retired : kRetiredFamilies) {
      if (there(retired)) names.push_back(retired);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    // The retired families are only scanned once and dropped: plain options.
    const bool point_reads = name == "finished" || name == "idempotency";
    auto o = point_reads ? point_read_options : cf_options;
    // Finished records, keyed by order, land at random positions and are
    // read one at a time. A hash of the 16-byte order id picks a short
    // list, so an insert does not walk a skiplist of the whole memtable
    // (docs/perf-history.md).
    if (name == "finished") {
      o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(OrderId::Bytes{}.size()));
      o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(65536));
    }
    // A few checkpoints a minute, each one large value.
    if (name == "checkpoints") o.write_buffer_size = 16 << 20;
    // Set membership keys (set byte + order id) also land at random places;
    // only listing a set needs their order, and that seeks with
    // total_order_seek.
    if (name == "order_sets") {
      o.write_buffer_size = 4 << 20;
      o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1 + OrderId::Bytes{}.size()));
      o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(65536));
    }
    descriptors.emplace_back(name, o);
  }
  return descriptors;
}

void RocksDbLog::open_rocksdb(rocksdb::DBOptions db_options,
                              const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors) {
  namespace fs = std::filesystem;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (mode_ == OpenMode::primary) {
    // Flushes and compactions run at nice 19, so they take the cores when
    // the writer, the executor and the HTTP threads leave them idle rather
    // than preempting them: a 32 MB memtable's flush is a long burst of CPU.
    // They still get the cores when writes wait on them, so they can't
    // starve. The pools are the process's: one primary log per process here.
    for (const auto pool : {rocksdb::Env::Priority::HIGH, rocksdb::Env::Priority::LOW}) {
      (void)db_options.env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow);
    }
    const fs::path path(options_.path);
    fs::create_directories(path);
    db_options.info_log = std::make_shared<detail::InfoLogFile>((path / "LOG").string(), db_options.info_log_level);
    s = rocksdb::DB::Open(db_options, options_.path, descriptors, &handles_, &raw);
  } else {
    db_options.max_open_files = -1;  // required by secondary instances
    std::string secondary = options_.secondary_path;
    if (secondary.empty()) {
      std::string pattern = (fs::temp_directory_path() / "oee-secondary-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temp directory");
      secondary = owned_secondary_dir_ = pattern;
    }
    fs::create_directories(secondary);
    s = rocksdb::DB::OpenAsSecondary(db_options, options_.path, secondary, descriptors, &handles_, &raw);
  }
  if (!s.ok()) {
    const bool denied = s.ToString().find("Permission denied") != std::string::npos;
    if (s.IsIOError() && !denied && s.ToString().find("lock") != std::string::npos) {
      throw std::runtime_error("the event log at '" + options_.path + "' is in use by another oee-server (" +
                               s.ToString() + ")");
    }
    throw std::runtime_error("cannot open the event log at '" + options_.path + "': " + s.ToString() +
                             open_failure_hint(s));
  }
  db_.reset(raw);
  for (auto* h : handles_) {
    const auto& name = h->GetName();
    if (name == "default") meta_ = h;
    else if (name == "events") events_ = h;
    else if (name == "finished") finished_ = h;
    else if (name == "checkpoints") checkpoints_ = h;
    else if (name == "order_sets") order_sets_ = h;
    else if (name == "idempotency") idempotency_ = h;
    else retired_.push_back(h);
  }
}

void RocksDbLog::check_format(bool existed) {
  bool found = false;
  auto format = get_value(*db_, meta_, kFormatKey, found);
  if (!format) throw std::runtime_error("cannot read the event log format marker at '" + options_.path + "'");
  if (found) {
    if (*format == kFirstFormatValue) {
      if (mode_ != OpenMode::primary) {
        throw std::runtime_error("the event log at '" + options_.path +
                                 "' is in the first format (oee-log-v1); start oee-server on it once, which "
                                 "converts it in place, and open it again");
      }
      upgrade_from_v1();
      return;
    }
    if (*format != kFormatValue) {
      throw std::runtime_error("'" + options_.path + "' holds an event log of unknown format '" + *format + "'");
    }
    if (events_ == nullptr || finished_ == nullptr || checkpoints_ == nullptr || order_sets_ == nullptr ||
        idempotency_ == nullptr) {
      throw std::runtime_error("the event log at '" + options_.path + "' lacks some of its column families: it is "
                               "damaged; restore it from a copy");
    }
    return;
  }
  if (existed) throw std::runtime_error("'" + options_.path + "' is a RocksDB database but not an oee event log");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (!db_->Put(wo, meta_, std::string(kFormatKey), std::string(kFormatValue)).ok()) {
    throw std::runtime_error("cannot initialise the event log at '" + options_.path + "'");
  }
}

void RocksDbLog::load_id() {
  bool found = false;
  auto id = get_value(*db_, meta_, kLogIdKey, found);
  if (!id) throw std::runtime_error("cannot read the event log's id at '" + options_.path + "'");
  if (found) {
    id_ = *id;
    return;
  }
  if (mode_ != OpenMode::primary) return;
  id_ = OrderId::random().str();  // a log made before ids gets one on its next start
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (!db_->Put(wo, meta_, std::string(kLogIdKey), id_).ok()) {
    throw std::runtime_error("cannot write the event log's id at '" + options_.path + "'");
  }
}

Seq RocksDbLog::load_head() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions{}, events_));
  it->SeekToLast();
  if (!it->status().ok()) throw std::runtime_error("cannot read the end of the event log: " + it->status().ToString());
  if (!it->Valid()) return Seq{0};
  const Seq seq = decode_seq_key(std::string_view(it->key().data(), it->key().size()));
  // The newest record is checked at open so a torn or damaged tail stops the
  // server instead of being silently extended.
  auto rec = decode_record(std::string_view(it->value().data(), it->value().size()));
  if (!rec || rec->seq != seq) {
    throw std::runtime_error("the last event in the log (seq " + std::to_string(seq.value) +
                             ") is damaged; run oee-logdump --verify on a copy of the data directory and "
                             "restore it from a backup. oee will not skip or truncate events.");
  }
  return seq;
}

std::error_code RocksDbLog::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return {};
    closing_ = true;
    queue_cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  head_cv_.notify_all();
  if (!db_ || mode_ != OpenMode::primary) return {};
  if (degraded_.load()) return make_error_code(Errc::unavailable);  // no writes into a failed DB
  // A clean stop checkpoints, so the next start folds no events, and
  // flushes memtables, so it replays no WAL.
  if (since_checkpoint_ > 0) write_checkpoint();
  if (degraded_.load()) return make_error_code(Errc::unavailable);
  const auto wal = db_->FlushWAL(true);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  const auto memtables = wal.ok() ? db_->Flush(flush, handles_) : wal;
  if (!memtables.ok()) {
    std::lock_guard lock(mu_);
    write_error_ = memtables.ToString();
    return make_error_code(Errc::io_error);
  }
  return {};
}

}  // namespace detail

std::string log_directory(const std::string& data_dir) {
  const std::filesystem::path root(data_dir);
  // A directory this user may not enter is not a log here: opening its
  // log/ then fails and says why (a permission problem, not damage).
  std::error_code ec;
  if (std::filesystem::exists(root / "CURRENT", ec)) return data_dir;
  return (root / "log").string();
}

std::unique_ptr<LogPartitionWriter> open_primary(const Options& options) {
  return std::make_unique<detail::RocksDbLog>(options, detail::OpenMode::primary);
}

std::unique_ptr<LogPartitionReader> open_secondary(const Options& options) {
  return std::make_unique<detail::RocksDbLog>(options, detail::OpenMode::secondary);
}

}  // namespace oee::eventlog
