#include "power_loss_fs.h"

#include <algorithm>
#include <filesystem>

namespace oee::testing {

namespace {

class PowerLossFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  PowerLossFile(std::unique_ptr<rocksdb::FSWritableFile> file, PowerLossFileSystem& fs, std::string name)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (!fs_.powered()) return PowerLossFileSystem::off();
    auto s = target()->Append(data, options, dbg);
    if (s.ok()) fs_.appended(name_, data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& /*info*/, rocksdb::IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (!fs_.powered()) return PowerLossFileSystem::off();
    return target()->Flush(options, dbg);
  }
  // A sync covers what was written when it began, and only if it returns
  // while the power is on: one the cut interrupts made nothing durable, and
  // whoever waits on it hears that it failed.
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    const auto covers = fs_.sync_started(name_);
    if (!covers) return PowerLossFileSystem::off();
    auto s = target()->Sync(options, dbg);
    if (s.ok() && !fs_.synced(name_, *covers)) return PowerLossFileSystem::off();
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    const auto covers = fs_.sync_started(name_);
    if (!covers) return PowerLossFileSystem::off();
    auto s = target()->Fsync(options, dbg);
    if (s.ok() && !fs_.synced(name_, *covers)) return PowerLossFileSystem::off();
    return s;
  }
  rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();  // a hint; durability comes from Sync
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (!fs_.powered()) return PowerLossFileSystem::off();
    return target()->Close(options, dbg);
  }

 private:
  PowerLossFileSystem& fs_;
  std::string name_;
};

}  // namespace

rocksdb::IOStatus PowerLossFileSystem::off() { return rocksdb::IOStatus::IOError("the power is off"); }

rocksdb::IOStatus PowerLossFileSystem::wrap(const std::string& name, rocksdb::IOStatus s,
                                            std::unique_ptr<rocksdb::FSWritableFile>* result,
                                            std::uint64_t existing) {
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    files_[name] = Sizes{existing, existing};
  }
  *result = std::make_unique<PowerLossFile>(std::move(*result), *this, name);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                       rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  return wrap(name, target()->NewWritableFile(name, options, result, dbg), result, 0);
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(const std::string& name,
                                                          const rocksdb::FileOptions& options,
                                                          std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                          rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  std::error_code ec;
  const auto size = std::filesystem::file_size(name, ec);
  return wrap(name, target()->ReopenWritableFile(name, options, result, dbg), result, ec ? 0 : size);
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(const std::string& name, const std::string& old_name,
                                                         const rocksdb::FileOptions& options,
                                                         std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                         rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  return wrap(name, target()->ReuseWritableFile(name, old_name, options, result, dbg), result, 0);
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                                                  rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  return target()->DeleteFile(name, options, dbg);
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(const std::string& from, const std::string& to,
                                                  const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  return target()->RenameFile(from, to, options, dbg);
}

rocksdb::IOStatus PowerLossFileSystem::LinkFile(const std::string& from, const std::string& to,
                                                const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
  if (!powered()) return off();
  return target()->LinkFile(from, to, options, dbg);
}

void PowerLossFileSystem::cut_power() {
  std::lock_guard lock(mu_);
  powered_ = false;
}

bool PowerLossFileSystem::powered() const {
  std::lock_guard lock(mu_);
  return powered_;
}

void PowerLossFileSystem::appended(const std::string& name, std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  files_[name].written += bytes;
  appended_bytes_ += bytes;
}

std::optional<std::uint64_t> PowerLossFileSystem::sync_started(const std::string& name) const {
  std::lock_guard lock(mu_);
  if (!powered_) return std::nullopt;
  const auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second.written;
}

bool PowerLossFileSystem::synced(const std::string& name, std::uint64_t covers) {
  std::lock_guard lock(mu_);
  if (!powered_) return false;
  auto& f = files_[name];
  f.synced = std::max(f.synced, covers);
  ++syncs_;
  return true;
}

std::uint64_t PowerLossFileSystem::appended_bytes() const {
  std::lock_guard lock(mu_);
  return appended_bytes_;
}

std::uint64_t PowerLossFileSystem::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

std::uint64_t PowerLossFileSystem::drop_unsynced() {
  std::lock_guard lock(mu_);
  std::uint64_t dropped = 0;
  for (const auto& [name, sizes] : files_) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(name, ec);
    if (ec || size <= sizes.synced) continue;
    dropped += size - sizes.synced;
    std::filesystem::resize_file(name, sizes.synced, ec);
  }
  return dropped;
}

}  // namespace oee::testing
