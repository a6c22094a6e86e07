#pragma once
// A write waiting in one of the partition log's queues: the appender's
// (this node owns the partition) or the forwarder's (another does).

#include <cstdint>
#include <optional>
#include <string>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

struct QueuedWrite {
  AppendCommand command;
  AppendCompletion done;
  /// Not a first event: the order's last position when the command was made.
  Seq basis;
  /// Made while this node owned the partition, in this ownership.
  std::optional<std::uint64_t> ownership;
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
