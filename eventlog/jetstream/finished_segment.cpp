#include "eventlog/jetstream/detail/finished_segment.h"

#include <algorithm>

#include "eventlog/jetstream/detail/big_endian.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/errors.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

constexpr std::string_view kPartMagic = "oeeS1";
constexpr std::string_view kHeadMagic = "oeeH1";
constexpr std::uint8_t kHashes = 14;  // ln 2 × kFilterBitsPerOrder, rounded

std::optional<OrderId> get_order(std::string_view& in) {
  if (in.size() < 16) return std::nullopt;
  const auto order = ::oee::eventlog::detail::order_at(in.data());
  in.remove_prefix(16);
  return order;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The filter's probes of `order`: (a + h*b) mod bits, h = 0..hashes-1.
struct Probes {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

Probes probes_of(const OrderId& order) {
  std::string_view bytes = order.view();
  const auto hi = get_be(bytes, 8);
  const auto lo = get_be(bytes, 8);
  return Probes{splitmix64(*hi), splitmix64(*lo ^ 0x5851F42D4C957F2DULL) | 1};
}

std::string filter_of(const std::vector<const IndexedOrder*>& orders) {
  const std::size_t bits = std::max<std::size_t>(64, orders.size() * kFilterBitsPerOrder);
  std::string filter((bits + 7) / 8, '\0');
  const std::uint64_t n = filter.size() * 8;
  for (const auto* o : orders) {
    const auto p = probes_of(o->order);
    for (std::uint64_t h = 0; h < kHashes; ++h) {
      const auto bit = (p.a + h * p.b) % n;
      filter[bit / 8] = static_cast<char>(static_cast<std::uint8_t>(filter[bit / 8]) | (1U << (bit % 8)));
    }
  }
  return filter;
}

EncodedPart part_of(const std::vector<const IndexedOrder*>& orders, const std::vector<std::string>& records) {
  EncodedPart out;
  out.data = kPartMagic;
  put_be(out.data, orders.size(), 4);
  for (std::size_t k = 0; k < orders.size(); ++k) {
    out.data.append(orders[k]->order.view());
    put_be(out.data, records[k].size(), 4);
    out.data += records[k];
  }
  append_crc32c(out.data);
  out.head.count = static_cast<std::uint32_t>(orders.size());
  out.head.first = orders.front()->order;
  out.head.last = orders.back()->order;
  out.head.hashes = kHashes;
  out.head.filter = filter_of(orders);
  return out;
}

}  // namespace

bool SegmentPartHead::may_hold(const OrderId& order) const {
  if (order < first || last < order || filter.empty()) return false;
  const auto p = probes_of(order);
  const std::uint64_t n = filter.size() * 8;
  for (std::uint64_t h = 0; h < hashes; ++h) {
    const auto bit = (p.a + h * p.b) % n;
    if ((static_cast<std::uint8_t>(filter[bit / 8]) & (1U << (bit % 8))) == 0) return false;
  }
  return true;
}

std::vector<EncodedPart> encode_segment(std::vector<IndexedOrder> orders, std::size_t part_bytes) {
  // The latest finish of each order: the last by position.
  std::erase_if(orders, [](const IndexedOrder& o) { return o.seqs.empty(); });
  std::sort(orders.begin(), orders.end(), [](const IndexedOrder& x, const IndexedOrder& y) {
    return x.order != y.order ? x.order < y.order : y.seqs.back() < x.seqs.back();
  });
  orders.erase(std::unique(orders.begin(), orders.end(),
                           [](const IndexedOrder& x, const IndexedOrder& y) { return x.order == y.order; }),
               orders.end());

  std::vector<EncodedPart> parts;
  std::vector<const IndexedOrder*> in_part;
  std::vector<std::string> records;
  std::size_t bytes = kPartMagic.size() + 4 + 4;
  for (const auto& o : orders) {
    auto record = ::oee::eventlog::detail::encode_order_record(o.snapshot, o.seqs);
    const std::size_t adds = 16 + 4 + record.size();
    if (!in_part.empty() && bytes + adds > part_bytes) {
      parts.push_back(part_of(in_part, records));
      in_part.clear();
      records.clear();
      bytes = kPartMagic.size() + 4 + 4;
    }
    in_part.push_back(&o);
    records.push_back(std::move(record));
    bytes += adds;
  }
  if (!in_part.empty()) parts.push_back(part_of(in_part, records));
  return parts;
}

std::string encode_head(const SegmentPartHead& head) {
  std::string out(kHeadMagic);
  put_be(out, head.part_seq.value, 8);
  put_be(out, head.count, 4);
  out.append(head.first.view());
  out.append(head.last.view());
  put_be(out, head.hashes, 1);
  put_be(out, head.filter.size(), 4);
  out += head.filter;
  append_crc32c(out);
  return out;
}

Result<SegmentPartHead> decode_head(std::string_view data) {
  const auto body = checked_body(data);
  if (!body || !body->starts_with(kHeadMagic)) return make_error_code(Errc::corrupted);
  std::string_view in = body->substr(kHeadMagic.size());
  SegmentPartHead head;
  const auto seq = get_be(in, 8);
  const auto count = get_be(in, 4);
  const auto first = get_order(in);
  const auto last = get_order(in);
  const auto hashes = get_be(in, 1);
  const auto filter_bytes = get_be(in, 4);
  if (!seq || !count || !first || !last || !hashes || !filter_bytes || in.size() != *filter_bytes || *last < *first)
    return make_error_code(Errc::corrupted);
  head.part_seq = Seq{*seq};
  head.count = static_cast<std::uint32_t>(*count);
  head.first = *first;
  head.last = *last;
  head.hashes = static_cast<std::uint8_t>(*hashes);
  head.filter = std::string(in);
  return head;
}

Result<SegmentPart> SegmentPart::decode(std::string data) {
  SegmentPart part;
  part.data_ = std::move(data);
  const auto body = checked_body(part.data_);
  if (!body || !body->starts_with(kPartMagic)) return make_error_code(Errc::corrupted);
  std::string_view in = body->substr(kPartMagic.size());
  const auto count = get_be(in, 4);
  if (!count || *count > in.size() / 20) return make_error_code(Errc::corrupted);
  part.entries_.reserve(*count);
  for (std::uint64_t k = 0; k < *count; ++k) {
    const auto order = get_order(in);
    const auto len = get_be(in, 4);
    if (!order || !len || in.size() < *len) return make_error_code(Errc::corrupted);
    if (!part.entries_.empty() && !(part.entries_.back().order < *order)) return make_error_code(Errc::corrupted);
    part.entries_.push_back(Entry{*order, static_cast<std::size_t>(in.data() - part.data_.data()), *len});
    in.remove_prefix(*len);
  }
  if (!in.empty()) return make_error_code(Errc::corrupted);
  return part;
}

Result<std::optional<IndexedOrder>> SegmentPart::find(const OrderId& order) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), order,
                                   [](const Entry& e, const OrderId& id) { return e.order < id; });
  if (it == entries_.end() || it->order != order) return std::optional<IndexedOrder>{};
  auto record =
      ::oee::eventlog::detail::decode_order_record(order, std::string_view(data_).substr(it->offset, it->size));
  if (!record) return record.error();
  return std::optional<IndexedOrder>(std::move(*record));
}

}  // namespace oee::eventlog::jetstream::detail
