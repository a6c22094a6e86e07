#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "eventlog/rocksdb/detail/info_log_file.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::eventlog {

namespace {

using Clock = std::chrono::steady_clock;
constexpr Clock::duration kFirstBackoff = std::chrono::milliseconds(100);
constexpr Clock::duration kMaxBackoff = std::chrono::seconds(2);

// A reader opens the database beside its writer: its own LOG would replace
// the writer's.
class DiscardLog final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

std::error_code error_of(const rocksdb::Status& s) {
  return make_error_code(s.IsCorruption() ? Errc::corrupted : Errc::io_error);
}

class RocksDbStore final : public KeyValueStore {
 public:
  explicit RocksDbStore(StoreOptions options) : options_(std::move(options)) {
    if (const auto s = open(); !s.ok()) {
      throw std::runtime_error("cannot open the store at '" + options_.path + "': " + s.ToString());
    }
  }
  ~RocksDbStore() override {
    std::lock_guard lock(mu_);
    drop();
  }
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) const override {
    std::lock_guard lock(mu_);
    if (const auto ec = ready()) return ec;
    std::string value;
    const auto s = db_->Get(rocksdb::ReadOptions{}, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>{};
    if (!s.ok()) return error_of(s);
    return std::optional<std::string>(std::move(value));
  }

  std::error_code put_all(std::span<const Entry> entries) override {
    if (options_.read_only) return make_error_code(Errc::read_only);
    if (entries.empty()) return {};
    rocksdb::WriteBatch batch;
    for (const auto& e : entries) {
      if (const auto s = batch.Put(rocksdb::Slice(e.key.data(), e.key.size()),
                                   rocksdb::Slice(e.value.data(), e.value.size()));
          !s.ok()) {
        return error_of(s);
      }
    }
    std::lock_guard lock(mu_);
    if (const auto ec = ready()) return ec;
    const auto s = db_->Write(rocksdb::WriteOptions{}, &batch);
    if (s.ok()) return {};
    // The database is dropped and opened afresh rather than written again:
    // this RocksDB asserts when a file writer that saw an error is used
    // once more, and a DB::Resume() that returns OK can leave the WAL's
    // writer so. Opening again recovers what reached the disk.
    fail(s.ToString());
    return make_error_code(Errc::unavailable);
  }

  std::vector<Created> create_all(std::span<const Entry> entries) override {
    std::lock_guard creating(create_mu_);
    std::vector<Created> out;
    std::vector<Entry> fresh;
    std::vector<std::size_t> fresh_at;
    for (const auto& e : entries) {
      auto held = get(e.key);
      if (!held) {
        out.emplace_back(held.error());
      } else if (*held) {
        out.emplace_back(std::move(*held));
      } else {
        out.emplace_back(std::optional<std::string>{});
        fresh.push_back(e);
        fresh_at.push_back(out.size() - 1);
      }
    }
    if (const auto ec = put_all(fresh))
      for (const auto i : fresh_at) out[i] = ec;
    return out;
  }

  std::error_code sync() override {
    if (options_.read_only) return {};
    std::lock_guard lock(mu_);
    if (const auto ec = ready()) return ec;
    const auto s = db_->FlushWAL(true);
    if (s.ok()) return {};
    fail(s.ToString());
    return make_error_code(Errc::unavailable);
  }

  std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const override {
    std::lock_guard lock(mu_);
    if (const auto ec = ready()) return ec;
    rocksdb::ReadOptions every_key;
    every_key.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(every_key));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      visit(std::string_view(it->key().data(), it->key().size()),
            std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) return error_of(it->status());
    return {};
  }

  std::string write_error() const override {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  rocksdb::Status open() const {
    rocksdb::Options o;
    o.create_if_missing = !options_.read_only;
    o.paranoid_checks = true;
    o.max_open_files = 64;  // table files are few; descriptors go to clients
    o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    o.write_buffer_size = options_.write_buffer_bytes;
    o.max_write_buffer_number = 2;
    o.compression = rocksdb::kNoCompression;
    // Most lookups are for keys never put (is this transaction new?): a
    // filter over the memtable answers them without searching it.
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = 0.04;  // whole keys and their prefixes both go in
    // Keys (transaction ids) are random and only ever looked up one at a
    // time: a hash of their first bytes picks a short list, so a put does
    // not walk a skiplist of the whole memtable. A full scan (for_each)
    // asks for total order. The capped prefix takes keys of any length.
    // About one bucket per 256 bytes written: a bucket array larger than
    // the write buffer would itself fill a memtable.
    o.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(16));
    o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(
        std::clamp<std::size_t>(options_.write_buffer_bytes / 256, 64, 16384)));
    o.allow_concurrent_memtable_write = false;  // hash memtables take one writer at a time
    // Index and filter blocks live in the block cache too, so the cache
    // bounds the memory the table files take however many there are.
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options_.cache_bytes);
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.checksum = rocksdb::kXXH3;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    if (options_.read_only) {
      o.info_log = std::make_shared<DiscardLog>();
      s = rocksdb::DB::OpenForReadOnly(o, options_.path, &raw);
    } else {
      std::error_code ec;
      std::filesystem::create_directories(options_.path, ec);
      if (ec) return rocksdb::Status::IOError("cannot create the directory", ec.message());
      o.info_log = std::make_shared<detail::InfoLogFile>(options_.path + "/LOG", o.info_log_level);
      s = rocksdb::DB::Open(o, options_.path, &raw);
    }
    if (s.ok()) db_.reset(raw);
    return s;
  }

  // The database, or the reason there is none: opened again once the
  // backoff since the last failure has passed.
  std::error_code ready() const {
    if (db_) return {};
    if (Clock::now() < retry_at_) return make_error_code(Errc::unavailable);
    if (const auto s = open(); !s.ok()) {
      fail(s.ToString());
      return make_error_code(Errc::unavailable);
    }
    error_.clear();
    backoff_ = kFirstBackoff;
    return {};
  }

  void fail(std::string why) const {
    drop();
    error_ = std::move(why);
    retry_at_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }

  void drop() const {
    if (!db_) return;
    // Its status adds nothing: the failure that got us here is kept, and
    // what reached the disk is recovered when the database opens again.
    (void)db_->Close();
    db_.reset();
  }

  StoreOptions options_;
  mutable std::mutex mu_;
  std::mutex create_mu_;  // create_all(): a key's check and write as one
  mutable std::unique_ptr<rocksdb::DB> db_;
  mutable std::string error_;
  mutable Clock::time_point retry_at_{};
  mutable Clock::duration backoff_ = kFirstBackoff;
};

}  // namespace

std::unique_ptr<KeyValueStore> open_rocksdb_store(const StoreOptions& options) {
  return std::make_unique<RocksDbStore>(options);
}

}  // namespace oee::eventlog
