#pragma once
// Where a reader of the whole log stands: the last seq it has of each
// partition. The embedded log is one partition, and its positions are
// written as the bare seq they always were; a cluster's seqs are per
// partition and do not compare across partitions, so its positions are
// written partition by partition: "0:17,3:250" (partitions left out are at
// the start).
//
// In text, a position names what comes next (a fromSeq, a page's next):
// each seq written is the first one wanted, one past the last one had.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/types.h"

namespace oee::eventlog {

/// The most partitions a log may have (a cluster's --partitions).
inline constexpr std::uint32_t kMaxPartitions = 1024;

class Position {
 public:
  /// At the start of a log; `partitioned`: a cluster's (written p:seq).
  Position() = default;
  explicit Position(bool partitioned) : partitioned_(partitioned) {}

  [[nodiscard]] bool partitioned() const { return partitioned_; }
  /// The same seqs, written as `partitioned` says (a reader that learns
  /// late what its log is like).
  [[nodiscard]] Position written_as(bool partitioned) const;
  /// The last seq had of partition p (0: none).
  [[nodiscard]] Seq at(PartitionId p) const { return p.value < last_.size() ? last_[p.value] : Seq{0}; }
  /// Whether the event `seq` of partition p is at or before this position.
  [[nodiscard]] bool covers(PartitionId p, Seq seq) const { return seq <= at(p); }
  /// Moves partition p on to `seq` (never back).
  void advance(PartitionId p, Seq seq);
  /// Sets partition p to `seq`, back or forth.
  void set(PartitionId p, Seq seq);
  /// Moves every partition on to the other's where that is further.
  void advance(const Position& other);
  /// The partitions this position has moved in (others are at 0).
  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(last_.size()); }
  /// Events had over all partitions, when every partition is read from its
  /// start (for lags).
  [[nodiscard]] std::uint64_t total() const;

  /// What follows this position, as a fromSeq: "18" for the embedded log,
  /// "0:18,3:251" for a cluster's (partitions at 0 left out; "" when all are).
  [[nodiscard]] std::string next_text() const;
  /// A fromSeq as next_text() writes it; nullopt if it is not one. In a
  /// cluster's log a bare number is not a position, and p must be below
  /// `partitions`; 0 as a bare number means "from the start" as 1 does.
  [[nodiscard]] static std::optional<Position> parse_next(std::string_view text, bool partitioned,
                                                          std::uint32_t partitions);

  friend bool operator==(const Position& a, const Position& b);

 private:
  bool partitioned_ = false;
  std::vector<Seq> last_;
};

}  // namespace oee::eventlog
