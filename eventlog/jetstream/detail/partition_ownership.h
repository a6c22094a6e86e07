#pragma once
// This node's ownership of one partition: whether it wants the partition
// (take_over() asked, release() not since), whether it holds it, and which
// of its ownerships that is. The stream decides: an ownership begins when
// this node's PartitionTaken is folded and ends when another node's is, or
// when this node releases the partition.
//
// Threads: any. Its mutex is a leaf: nothing is called under it. The fold
// changes it under the partition log's fold lock, so a caller holding that
// lock reads an ownership and the tail it was folded with together.

#include <mutex>
#include <optional>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/detail/queued_write.h"

namespace oee::eventlog::jetstream::detail {

class PartitionOwnership {
 public:
  /// An ownership this node holds, and where it began (its PartitionTaken).
  struct Held {
    Ownership ownership;
    Seq taken_at;
  };
  /// What a PartitionTaken folded here did to this node's ownership.
  enum class Change { none, gained, lost };

  /// take_over() asked: this node's next PartitionTaken makes it the owner.
  void want();
  /// Wanted and not released since (an owner's checkpoints go on meanwhile).
  [[nodiscard]] bool wanted() const;
  [[nodiscard]] bool owned() const;
  /// Whether `ownership` is the one this node holds now.
  [[nodiscard]] bool owns(Ownership ownership) const;
  [[nodiscard]] std::optional<Held> held() const;
  /// A PartitionTaken at `at`, by this node's writer (`ours`) or another's.
  Change taken(bool ours, Seq at);
  /// Gives the partition up: no longer wanted, and an ownership held ends.
  void release();

 private:
  mutable std::mutex mu_;
  bool wanted_ = false;   // under mu_
  bool owned_ = false;    // under mu_
  Ownership ownership_;   // under mu_; moves on as an ownership begins and ends
  Seq taken_at_{};        // under mu_; the held ownership's PartitionTaken
};

}  // namespace oee::eventlog::jetstream::detail
