#include "scratch_log.h"

#include <unistd.h>

#include <random>
#include <string>

#include "core/wire/event_codec.h"
#include "eventlog/rocksdb/rocksdb_log.h"

namespace oee::testing {

std::filesystem::path unique_temp_path(std::string_view name) {
  std::random_device rd;
  return std::filesystem::temp_directory_path() /
         ("oee-" + std::string(name) + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
}

TempDir::TempDir(std::string_view name) : path_(unique_temp_path(name)) { std::filesystem::create_directories(path_); }

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ScratchLog::ScratchLog(std::string_view name) : dir_(unique_temp_path(name)) {
  std::filesystem::create_directories(dir_);
  eventlog::Options o;
  o.path = (dir_ / "db").string();
  o.durability = eventlog::Durability::async;
  o.fold = core::fold_for_log;  // the OrderStore's events
  log_ = eventlog::open_primary(o);
  store_ = std::make_unique<core::OrderStore>(*log_);
}

ScratchLog::~ScratchLog() {
  store_.reset();
  log_->close();
  log_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace oee::testing
