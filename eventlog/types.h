#pragma once
// Strong types shared by every layer above the log.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oee {

/// Position of an event in the log. Dense and strictly increasing; the first
/// event is seq 1, so Seq{0} means "before the first event".
struct Seq {
  std::uint64_t value = 0;
  constexpr auto operator<=>(const Seq&) const = default;
  [[nodiscard]] constexpr Seq next() const { return Seq{value + 1}; }
};

/// Wall-clock time in nanoseconds since the Unix epoch.
struct TimestampNs {
  std::int64_t value = 0;
  constexpr auto operator<=>(const TimestampNs&) const = default;
  [[nodiscard]] static TimestampNs now();
};

/// 128-bit order identifier, written as a canonical lowercase UUID.
class OrderId {
 public:
  using Bytes = std::array<std::uint8_t, 16>;
  constexpr OrderId() = default;
  constexpr explicit OrderId(const Bytes& bytes) : bytes_(bytes) {}

  /// A fresh random (version 4) id.
  [[nodiscard]] static OrderId random();
  /// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (case-insensitive).
  [[nodiscard]] static std::optional<OrderId> parse(std::string_view text);

  [[nodiscard]] std::string str() const;
  static constexpr std::size_t kTextSize = 36;
  /// Writes the canonical text into `out` (kTextSize chars, no terminator):
  /// for hot paths that must not allocate.
  void write_text(char* out) const;
  [[nodiscard]] const Bytes& bytes() const { return bytes_; }
  [[nodiscard]] std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  constexpr auto operator<=>(const OrderId&) const = default;

 private:
  Bytes bytes_{};
};

struct OrderIdHash {
  std::size_t operator()(const OrderId& id) const noexcept;
};

}  // namespace oee
