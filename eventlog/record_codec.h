#pragma once
// Encoding of one stored event.
//
//   value    := envelope crc32c
//   envelope := flatbuffer oee.fb.Envelope (schemas/envelope.fbs)
//   crc32c   := fixed32 little-endian CRC32C (Castagnoli) of `envelope`
//
// Keys of the `events` column family are the seq as fixed64 big-endian, so
// RocksDB's bytewise order is seq order.

#include <optional>
#include <string>
#include <string_view>

#include "eventlog/event_log.h"

namespace oee::eventlog {

[[nodiscard]] std::string encode_seq_key(Seq seq);
[[nodiscard]] Seq decode_seq_key(std::string_view key);

[[nodiscard]] std::string encode_record(const Record& record);
/// Verifies the checksum and the flatbuffer; Errc::corrupted on failure.
[[nodiscard]] Result<Record> decode_record(std::string_view value);

[[nodiscard]] std::uint32_t crc32c(std::string_view data);
/// Appends the fixed32 little-endian CRC32C of `value` so far: the trailer
/// of every value the log checksums (events, records, checkpoints).
void append_crc32c(std::string& value);
/// `value` without that trailer, or nothing when the trailer does not match.
[[nodiscard]] std::optional<std::string_view> checked_body(std::string_view value);
/// The table-driven implementation, which crc32c() uses without SSE 4.2.
[[nodiscard]] std::uint32_t crc32c_portable_for_tests(std::string_view data);

}  // namespace oee::eventlog
