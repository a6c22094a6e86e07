#include "eventlog/types.h"

#include <chrono>
#include <cstring>
#include <ostream>
#include <random>

namespace oee {

std::ostream& operator<<(std::ostream& out, PartitionId p) { return out << p.value; }

TimestampNs TimestampNs::now() {
  return TimestampNs{std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()};
}

OrderId OrderId::random() {
  // One generator per thread: ids are requested from several threads.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  Bytes b;
  std::uint64_t hi = gen(), lo = gen();
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return OrderId{b};
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<OrderId> OrderId::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Bytes b{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[out++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return OrderId{b};
}

void OrderId::write_text(char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
    *out++ = kHex[bytes_[i] >> 4];
    *out++ = kHex[bytes_[i] & 0x0F];
  }
}

std::string OrderId::str() const {
  std::string s(kTextSize, '\0');
  write_text(s.data());
  return s;
}

std::size_t OrderIdHash::operator()(const OrderId& id) const noexcept {
  std::uint64_t a, b;
  std::memcpy(&a, id.bytes().data(), 8);
  std::memcpy(&b, id.bytes().data() + 8, 8);
  return static_cast<std::size_t>(a ^ (b * 0x9E3779B97F4A7C15ULL));
}

}  // namespace oee
