#pragma once
// What the partition log's appender (partition_appends.cpp) and its first
// forwards to the owner (partition_forwards.cpp) share.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>

#include <fmt/format.h>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

using Clock = std::chrono::steady_clock;

/// One publish's own bound: short enough to retry within the append's.
inline constexpr std::chrono::milliseconds kPublishWait{2000};
/// Appends sent at once, at most.
inline constexpr std::size_t kPipeline = 256;

/// Oee-Sets: a command's set changes, e.g. "1+,2-"; empty if none.
inline std::string sets_header(const AppendCommand& c) {
  std::string out;
  for (const auto& [set, member] : c.set_membership)
    out += fmt::format("{}{}{}", out.empty() ? "" : ",", static_cast<int>(set), member ? '+' : '-');
  return out;
}

/// What is left until `deadline`, at least 1 ms (a wait of 0 would not wait).
inline std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(1));
}

}  // namespace oee::eventlog::jetstream::detail
