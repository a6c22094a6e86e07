#pragma once
// The stored form of a segment of finished orders: what a partition's owner
// writes before each checkpoint, holding the orders that finished since the
// last one, so that an order the checkpoint no longer holds is still found
// by its id. Pure functions; finished_segments.h stores and reads them.
//
// A segment is cut into parts of at most kPartBytes, each sorted by order id
// and covering its own id range; each part has a small head, kept in memory
// by the owner, that says which ids it may hold:
//
//   part  := "oeeS1" fixed32be(count) (order(16) fixed32be(len) record)... crc32c
//            orders ascending, each once; record := order_index.h's order record
//   head  := "oeeH1" fixed64be(part's stream seq) fixed32be(count) first(16) last(16)
//            u8(hashes) fixed32be(filter bytes) filter crc32c
//   filter := a Bloom filter over the part's ids, kFilterBitsPerOrder bits
//             each; bit i of byte j is filter bit 8j+i; the h-th probe of
//             an id is (a + h*b) mod bits, a and b from splitmix64 of its two
//             8-byte halves (big-endian), b made odd
//
// crc32c is fixed32 little-endian over everything before it (record_codec.h).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

inline constexpr std::size_t kSegmentPartBytes = 512 << 10;
inline constexpr std::size_t kFilterBitsPerOrder = 20;

/// What a part's head says of it.
struct SegmentPartHead {
  Seq part_seq;  // the stream seq of the part it describes
  std::uint32_t count = 0;
  OrderId first;
  OrderId last;
  std::uint8_t hashes = 0;
  std::string filter;

  /// False only if the part does not hold `order`.
  [[nodiscard]] bool may_hold(const OrderId& order) const;
};

/// A part to store, and its head (whose part_seq is set once the part is).
struct EncodedPart {
  std::string data;
  SegmentPartHead head;
};

/// `orders` as a segment's parts: each order once (its latest finish, by
/// its last position), ascending by id; none if `orders` is empty. A
/// record larger than a part gets a part of its own.
[[nodiscard]] std::vector<EncodedPart> encode_segment(std::vector<IndexedOrder> orders,
                                                      std::size_t part_bytes = kSegmentPartBytes);

[[nodiscard]] std::string encode_head(const SegmentPartHead& head);
/// Errc::corrupted when the checksum or the layout is wrong.
[[nodiscard]] Result<SegmentPartHead> decode_head(std::string_view data);

/// A part, checked once and searched by id.
class SegmentPart {
 public:
  /// Errc::corrupted when the checksum or the layout is wrong, or the ids
  /// are not ascending.
  [[nodiscard]] static Result<SegmentPart> decode(std::string data);
  /// The order's record in this part, if it holds it.
  [[nodiscard]] Result<std::optional<IndexedOrder>> find(const OrderId& order) const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    OrderId order;
    std::size_t offset = 0;  // of its record in data_
    std::size_t size = 0;
  };
  std::string data_;
  std::vector<Entry> entries_;  // ascending by order
};

}  // namespace oee::eventlog::jetstream::detail
