#pragma once
// The embedded KeyValueStore: its own RocksDB database in a directory of
// this machine.

#include <cstddef>
#include <memory>
#include <string>

#include "eventlog/key_value_store.h"

namespace oee::eventlog {

struct StoreOptions {
  std::string path{};
  /// Another process may have it open for writing.
  bool read_only = false;
  /// Memory held for cached blocks, and for writes not yet in a table file.
  std::size_t cache_bytes = 8 << 20;
  std::size_t write_buffer_bytes = 4 << 20;
};

/// Opens (creating) a store backed by its own RocksDB database. Throws
/// std::runtime_error naming the cause if it cannot.
[[nodiscard]] std::unique_ptr<KeyValueStore> open_rocksdb_store(const StoreOptions& options);

}  // namespace oee::eventlog
