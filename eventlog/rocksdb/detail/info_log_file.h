#pragma once
// RocksDB's LOG file, written so that a failed write only drops its line.
// RocksDB's own file logger asserts (Debian builds it with assertions on)
// when it writes again after one write failed, e.g. on a full disk: it
// took the whole process down with it.

#include <cstdio>
#include <mutex>
#include <string>

#include <rocksdb/env.h>

namespace oee::eventlog::detail {

class InfoLogFile final : public rocksdb::Logger {
 public:
  InfoLogFile(const std::string& path, rocksdb::InfoLogLevel level);
  ~InfoLogFile() override;
  InfoLogFile(const InfoLogFile&) = delete;
  InfoLogFile& operator=(const InfoLogFile&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  std::mutex mu_;
  std::FILE* file_;
};

}  // namespace oee::eventlog::detail
