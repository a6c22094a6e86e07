#pragma once
// A partition's records as its stream stores them, one record batch per
// message, found by position: a batch folded lately is found from where
// the fold noted it, an older one by a binary search of the stream (each
// message's Oee-Batch header says which positions it holds).
//
// Threads: any. The fold notes batches; readers read. Its only lock is
// BatchPositions', a leaf.

#include <functional>
#include <string>
#include <vector>

#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/batch_positions.h"

namespace oee::eventlog::jetstream::detail {

class StoredBatches {
 public:
  StoredBatches(Connection& connection, PartitionId partition, std::string stream, std::string subjects)
      : connection_(connection), partition_(partition), stream_(std::move(stream)), subjects_(std::move(subjects)) {}

  /// Notes where a batch folded here is stored.
  void note(const Batch& batch, Seq stream_seq) { positions_.note(batch.first, batch.entries.size(), stream_seq); }
  /// The stream seq of the batch that holds `position`.
  [[nodiscard]] Result<Seq> locate(Seq position) const;
  /// The batch that holds `position`.
  [[nodiscard]] Result<Batch> batch_at(Seq position) const;
  /// The records at these positions (ascending), from the batches that hold them.
  [[nodiscard]] Result<std::vector<Record>> records_at(const std::vector<Seq>& positions) const;
  /// The idempotency fingerprint of the order's first record, at `position`.
  [[nodiscard]] Result<std::string> fingerprint_at(const OrderId& order, Seq position) const;
  /// The last position the stream holds (its last batch's), read from it.
  [[nodiscard]] Result<Seq> last_position() const;
  /// The records at positions `from` on, at most `max`, up to the stream's end.
  [[nodiscard]] Result<std::vector<Record>> records_from(Seq from, std::size_t max) const;
  /// The same as stored; a batch that does not decode gives each position
  /// it says it holds its bytes, for an audit to report.
  [[nodiscard]] Result<std::vector<RawRecord>> raw_from(Seq from, std::size_t max) const;

 private:
  /// Hands `visit` each batch's message from the one that holds position
  /// `from` on, until the stream's end or `visit` has taken `max` records
  /// in all (it returns how many it took of each).
  [[nodiscard]] std::error_code for_each_batch(Seq from, std::size_t max,
                                               const std::function<std::size_t(const StoredMessage&)>& visit) const;

  Connection& connection_;  // the cluster's, which outlives the partition log
  const PartitionId partition_;
  const std::string stream_;
  const std::string subjects_;
  BatchPositions positions_;  // its own lock
};

}  // namespace oee::eventlog::jetstream::detail
