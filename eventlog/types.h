#pragma once
// Strong types shared by every layer above the log.

#include <array>
#include <compare>
#include <cstdint>
#include <iosfwd>
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

/// One partition of a log: a cluster log's are numbered from 0 to its
/// count - 1; the embedded log is its own partition 0. Each partition
/// numbers its events (Seq) on its own.
struct PartitionId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const PartitionId&) const = default;
};

/// Written as its number (test messages, logs through ostreams).
std::ostream& operator<<(std::ostream& out, PartitionId p);

/// The partitions of a log of `count`, in order:
/// for (const PartitionId p : each_partition(log.partition_count())).
class PartitionIds {
 public:
  class iterator {
   public:
    constexpr explicit iterator(std::uint32_t p) : p_(p) {}
    constexpr PartitionId operator*() const { return PartitionId{p_}; }
    constexpr iterator& operator++() {
      ++p_;
      return *this;
    }
    constexpr bool operator==(const iterator&) const = default;

   private:
    std::uint32_t p_;
  };
  constexpr explicit PartitionIds(std::uint32_t count) : count_(count) {}
  [[nodiscard]] constexpr iterator begin() const { return iterator(0); }
  [[nodiscard]] constexpr iterator end() const { return iterator(count_); }

 private:
  std::uint32_t count_;
};
[[nodiscard]] constexpr PartitionIds each_partition(std::uint32_t count) { return PartitionIds(count); }

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
