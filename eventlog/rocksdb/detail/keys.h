#pragma once
// The event log's keys, shared by the files of its RocksDB implementation.
// The layout is documented in log.h.

#include <string>
#include <string_view>

#include <rocksdb/db.h>

#include "eventlog/event_log.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::detail {

inline constexpr std::string_view kCursorPrefix = "cursor/";
inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatValue = "oee-log-v2";
inline constexpr std::string_view kFirstFormatValue = "oee-log-v1";

inline std::string order_key(const OrderId& order) { return std::string(order.view()); }

inline std::string set_key(OrderSet set, const OrderId& order) {
  std::string key(1, static_cast<char>(set));
  key += order.view();
  return key;
}

/// The value at `key`, with `found` saying whether there was one.
inline Result<std::string> get_value(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                     bool& found) {
  std::string value;
  const auto s = db.Get(rocksdb::ReadOptions{}, cf, rocksdb::Slice(key.data(), key.size()), &value);
  found = s.ok();
  if (s.ok() || s.IsNotFound()) return value;
  return make_error_code(Errc::io_error);
}

}  // namespace oee::eventlog::detail
