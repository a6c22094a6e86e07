#include "eventlog/rocksdb/detail/info_log_file.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <ctime>
#include <filesystem>

namespace oee::eventlog::detail {

namespace {

// Opens `path` to append, first moving a file past 4 MB aside to
// "<path>.old" (replacing the previous one), so the file stays bounded
// across restarts as RocksDB's own rotation kept it.
std::FILE* open_bounded(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > (4u << 20) && !ec) std::filesystem::rename(path, path + ".old", ec);
  return std::fopen(path.c_str(), "a");
}

}  // namespace

InfoLogFile::InfoLogFile(const std::string& path, rocksdb::InfoLogLevel level)
    : rocksdb::Logger(level), file_(open_bounded(path)) {}

InfoLogFile::~InfoLogFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void InfoLogFile::Logv(const char* format, va_list ap) {
  if (file_ == nullptr) return;
  char text[1024];
  const int n = std::vsnprintf(text, sizeof text, format, ap);
  std::size_t length = n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1);
  while (length > 0 && text[length - 1] == '\n') text[--length] = '\0';
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y/%m/%d-%H:%M:%S", &utc);
  std::lock_guard lock(mu_);
  std::fprintf(file_, "%s %s\n", stamp, text);
  std::fflush(file_);  // errors ignored on purpose: a lost line is the worst a full disk can do here
}

}  // namespace oee::eventlog::detail
