#pragma once
// A file system for crash tests that can lose power: RocksDB writes through
// it to the real one, and it remembers how much of each file was synced.
// cut_power() makes every later write, sync, new file, rename or delete
// fail (the machine is off: nothing more reaches the disk); drop_unsynced()
// then cuts each file back to what its last sync made durable, as a disk
// without the page cache would hold it. kill -9 cannot show this: the
// kernel keeps a killed process's unsynced writes.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace oee::testing {

class PowerLossFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "PowerLossFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;

  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

  void cut_power();
  /// Truncates every file written through this file system to its synced
  /// size; returns how many bytes that dropped.
  std::uint64_t drop_unsynced();

  // Called by the files.
  [[nodiscard]] bool powered() const;
  /// What any operation answers once the power is off.
  static rocksdb::IOStatus off();
  void appended(const std::string& name, std::uint64_t bytes);
  /// A sync of `name` begins: what it will cover if it completes, or
  /// nullopt when the power is off.
  [[nodiscard]] std::optional<std::uint64_t> sync_started(const std::string& name) const;
  /// It returned: false (and nothing durable) if the power went meanwhile.
  bool synced(const std::string& name, std::uint64_t covers);

  /// What went through this file system while powered: proof that a test's
  /// log wrote through it.
  [[nodiscard]] std::uint64_t appended_bytes() const;
  [[nodiscard]] std::uint64_t syncs() const;

 private:
  struct Sizes {
    std::uint64_t written = 0;
    std::uint64_t synced = 0;
  };
  rocksdb::IOStatus wrap(const std::string& name, rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* result,
                         std::uint64_t existing);
  mutable std::mutex mu_;
  bool powered_ = true;
  std::map<std::string, Sizes> files_;
  std::uint64_t appended_bytes_ = 0;
  std::uint64_t syncs_ = 0;
};

}  // namespace oee::testing
