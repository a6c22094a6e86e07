#pragma once
// Where a partition's finished orders are found once its checkpoints no
// longer hold them: the segments its owners wrote, one before each
// checkpoint (their form: finished_segment.h), in stream OEE_DONE:
//   oee.done.p<partition>.part   a part of a segment
//   oee.done.p<partition>.head   its head, stored once its part is
// A part whose head never came (its writer died between the two) is never
// read; its orders are written again, in the next owner's first segment.
// Nothing is ever changed or removed: an order found in several parts (it
// finished, opened again and finished again) is its latest finish, by its
// last position.
//
// A look that the parts' heads in memory cannot answer reads the heads
// stored since the last look first (every head, at the first look), then
// reads only the parts whose heads may hold the order; the last few parts
// read are kept.
//
// Threads: any. Lock order: refresh_mu_ (held while new heads are read),
// then mu_ (a leaf).

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/finished_segment.h"

namespace oee::eventlog::jetstream::detail {

class FinishedSegments {
 public:
  FinishedSegments(Connection& connection, PartitionId partition, int replicas);

  /// Creates or opens the stream; throws, saying why, if it cannot, or if
  /// the cluster keeps finished orders in the format before segments.
  void open() const;
  /// Stores `orders` as one segment: every part, then its head.
  [[nodiscard]] std::error_code write(std::vector<IndexedOrder> orders) const;
  /// The order's latest finish in the segments, if any.
  [[nodiscard]] Result<std::optional<IndexedOrder>> find(const OrderId& order) const;
  /// The parts whose heads were read here.
  [[nodiscard]] std::size_t parts_known() const;

 private:
  [[nodiscard]] std::error_code read_new_heads() const;  // under refresh_mu_
  [[nodiscard]] Result<std::shared_ptr<const SegmentPart>> part_at(Seq seq) const;

  static constexpr std::size_t kPartsKept = 8;

  Connection& connection_;  // the cluster's, which outlives the partition log
  const PartitionId partition_;
  const int replicas_;
  const std::string part_subject_;
  const std::string head_subject_;

  mutable std::mutex refresh_mu_;
  mutable Seq next_head_{1};  // the stream seq the next read of heads starts at; under refresh_mu_
  mutable std::mutex mu_;
  mutable std::vector<SegmentPartHead> heads_;  // in the order stored; under mu_
  mutable std::list<std::pair<Seq, std::shared_ptr<const SegmentPart>>> kept_;  // most recent first; under mu_
};

}  // namespace oee::eventlog::jetstream::detail
