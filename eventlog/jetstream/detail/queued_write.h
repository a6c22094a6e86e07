#pragma once
// A write waiting in one of the partition log's queues: the appender's
// (this node owns the partition) or the forwarder's (another does).

#include <cstdint>
#include <optional>
#include <string>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

/// One of this node's ownerships of a partition, counted: the count moves
/// on as an ownership begins and as it ends, so that a write made in one
/// is fenced once it is over, even if the node owns the partition again.
struct Ownership {
  std::uint64_t value = 0;
  constexpr auto operator<=>(const Ownership&) const = default;
  [[nodiscard]] constexpr Ownership next() const { return Ownership{value + 1}; }
};

struct QueuedWrite {
  AppendCommand command;
  AppendCompletion done;
  /// Not a first event: the order's last position when the command was made.
  Seq basis;
  /// Made while this node owned the partition, in this ownership.
  std::optional<Ownership> ownership;
  bool take_over = false;
  /// Who asked, once: <node>/<incarnation>/<n>; the same for every try, so
  /// that a retried write is found as stored rather than stored twice.
  std::string request{};
  /// Another node's write, forwarded to this one, the owner.
  bool forwarded = false;
  /// Asked before, the answer lost: it may be stored.
  bool sent_before = false;
};

}  // namespace oee::eventlog::jetstream::detail
