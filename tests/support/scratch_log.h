#pragma once
// Temp paths and a throwaway event log for tests that need a real log but
// do not test its durability.

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/engine/order_store.h"
#include "eventlog/event_log.h"

namespace oee::testing {

/// A path under the system temp dir that no other test process or test
/// uses: `oee-<name>-<pid>-<random>`. Nothing is created.
[[nodiscard]] std::filesystem::path unique_temp_path(std::string_view name);

/// A fresh directory under the system temp dir, removed on destruction
/// (also when an assertion ends the test early).
class TempDir {
 public:
  explicit TempDir(std::string_view name = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A fresh log (async durability) and an OrderStore on it in a temp
/// directory; closed and removed on destruction.
class ScratchLog {
 public:
  explicit ScratchLog(std::string_view name);
  ~ScratchLog();
  ScratchLog(const ScratchLog&) = delete;
  ScratchLog& operator=(const ScratchLog&) = delete;

  [[nodiscard]] eventlog::LogPartitionWriter& log() { return *log_; }
  [[nodiscard]] core::OrderStore& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<eventlog::LogPartitionWriter> log_;
  std::unique_ptr<core::OrderStore> store_;
};

}  // namespace oee::testing
