#pragma once
// Where the latest batches folded here are stored: a read of a position
// finds its batch's stream seq without asking the stream. The oldest go
// first past kKept.
//
// Threads: the fold notes; readers look up. Its mutex is a leaf.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

class BatchPositions {
 public:
  static constexpr std::size_t kKept = 1 << 16;

  /// A batch of `records` records from position `first`, stored at stream seq `stream_seq`.
  void note(Seq first, std::size_t records, Seq stream_seq);
  /// The stream seq of the batch that holds `position`, if known here.
  [[nodiscard]] std::optional<Seq> find(Seq position) const;

 private:
  mutable std::mutex mu_;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> batches_;  // first -> (records, stream seq); under mu_
};

}  // namespace oee::eventlog::jetstream::detail
