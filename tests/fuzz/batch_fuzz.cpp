// A record batch as a cluster partition's stream hands it over (another
// node's, an older build's, a damaged store's): the checksum and the
// flatbuffers verifier stand between it and a crash.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eventlog/jetstream/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace js = oee::eventlog::jetstream;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const auto batch = js::decode_batch(message, oee::PartitionId{3});
  if (batch) {
    // What decodes must encode to a batch that decodes to the same records,
    // each at its position.
    const auto again = js::decode_batch(js::encode_batch(*batch), oee::PartitionId{3});
    if (!again || again->first != batch->first || again->entries.size() != batch->entries.size()) __builtin_trap();
    for (std::size_t i = 0; i < batch->entries.size(); ++i) {
      const auto& a = batch->entries[i];
      const auto& b = again->entries[i];
      if (b.record.seq.value != batch->first.value + i || b.record.payload != a.record.payload ||
          b.record.order != a.record.order || b.request != a.request || b.sets != a.sets)
        __builtin_trap();
    }
  }
  return 0;
}
