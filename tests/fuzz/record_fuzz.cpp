// A stored event's value, as read back from the log (or a damaged disk):
// the flatbuffers verifier and the checksum stand between it and a crash.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eventlog/record_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto record = oee::eventlog::decode_record(value);
  if (record) {
    // What decodes must encode to a value that decodes to the same record.
    const auto again = oee::eventlog::decode_record(oee::eventlog::encode_record(*record));
    if (!again || again->seq != record->seq || again->payload != record->payload) __builtin_trap();
  }
  return 0;
}
