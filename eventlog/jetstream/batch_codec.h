#pragma once
// A record batch: how a cluster partition's owner stores the events that
// were ready together as one message of the partition's stream.
//
//   message  := batch crc32c
//   batch    := flatbuffer oee.fb.Batch (schemas/cluster_batch.fbs)
//   crc32c   := fixed32 little-endian CRC32C of `batch` (record_codec.h)
//
// A record's position in the partition is the batch's first plus its
// index: positions are dense, whatever the stream's own sequence numbers
// (docs/SCALING.md, "Record batches").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream {

/// One record of a batch, with what the partition's owner decided it on.
struct BatchEntry {
  Record record;            // its seq is its position (set on decoding)
  bool begins = false;      // its order's first event
  std::string sets;         // set changes, e.g. "1+" (dead letter in), "1-"
  std::string fingerprint;  // an idempotency claim's request fingerprint
  std::string request;      // who asked for it, once: a retry is found by it
};

struct Batch {
  Seq first;           // the position of entries[0]
  std::string writer;  // <node>/<incarnation> of the owner that appended it
  std::vector<BatchEntry> entries;
  /// The partition it was placed in; nothing in a batch stored before
  /// batches named it.
  std::optional<PartitionId> partition;
  /// The position of its writer's PartitionTaken (the ownership it was
  /// stored in); nothing as for `partition`.
  std::optional<Seq> taken_at;
  /// The position of its last record (first - 1 if it has none).
  [[nodiscard]] Seq last() const { return Seq{first.value + entries.size() - 1}; }
  /// Places it at `position` in `partition`: its records' seqs follow on,
  /// and it names the partition.
  void place(Seq position, PartitionId partition);
};

[[nodiscard]] std::string encode_batch(const Batch& batch);
/// Verifies the checksum and the flatbuffer, and that positions are
/// positive; Errc::corrupted otherwise. Each record gets its position as
/// its seq and `partition` as its partition (whatever the batch names:
/// Batch::partition says that).
[[nodiscard]] Result<Batch> decode_batch(std::string_view message, PartitionId partition);

}  // namespace oee::eventlog::jetstream
