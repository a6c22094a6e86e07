#pragma once
// Where a partition's checkpoints are stored, and their stored form. No state of its own beyond the connection:
// the partition log decides what goes in and what to do with what it reads.
//
// Checkpoints: stream OEE_CKPT, subject oee.ckpt.p<partition>, one
// checkpoint in parts of at most 512 KiB:
//   headers  Oee-Ckpt-Id    a fresh id per checkpoint
//            Oee-Ckpt-Seq   the partition position it holds the state after
//            Oee-Ckpt-Part  i/n
//   data     part i of:
//     blob := fixed64be(position) fixed64be(stream seq) fixed32be(sets)
//             (u8 set fixed32be(n) order(16)...)...
//             fixed32be(requests) (fixed16be(len) request fixed64be(position) order(16))...
//             index crc32c
//     requests := the writes stored lately, so that a retry that reaches the
//                 next owner finds where it landed
//     stream seq := the partition stream's seq of the batch that ends at `position`
//     index := OrderIndex::encode_checkpoint() (order_index.h)
// Once a checkpoint's last part is stored, the earlier checkpoints are
// purged; a checkpoint cut short (its writer died) is passed over.
//
// The orders a checkpoint no longer holds (finished before it) are in the
// segments written before it (finished_segments.h).
//
// Threads: any; it has no lock.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/recent_requests.h"

namespace oee::eventlog::jetstream::detail {

class CheckpointStore {
 public:
  /// A checkpoint as stored.
  struct Contents {
    Seq seq;         // the partition position it holds the state after
    Seq stream_seq;  // the stream seq of the batch that ends there
    std::vector<IndexedOrder> orders;
    std::map<OrderSet, std::set<OrderId>> sets;
    std::vector<RecentRequests::Landed> requests;  // stored lately
  };

  CheckpointStore(Connection& connection, PartitionId partition, int replicas)
      : connection_(connection), partition_(partition), replicas_(replicas) {}

  /// Creates or opens the stream; throws, saying why, if it cannot.
  void open() const;
  /// The latest whole checkpoint, if any.
  [[nodiscard]] Result<std::optional<Contents>> load() const;
  /// The blob of a checkpoint; `index` is OrderIndex::encode_checkpoint().
  [[nodiscard]] static std::string encode(Seq seq, Seq stream_seq, const std::map<OrderSet, std::set<OrderId>>& sets,
                                          std::vector<RecentRequests::Landed> requests, std::string_view index);
  /// Stores a checkpoint's blob, then purges the earlier ones.
  [[nodiscard]] std::error_code write(Seq seq, const std::string& blob) const;

 private:
  Connection& connection_;  // the cluster's, which outlives the partition log
  const PartitionId partition_;
  const int replicas_;
};

}  // namespace oee::eventlog::jetstream::detail
