#pragma once
// What the partition log's appender (partition_appends.cpp), its forwards
// to the owner (forwarder.cpp) and its opening share.

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>
#include <chrono>
#include <cstddef>
#include <string>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/errors.h"

namespace oee::eventlog::jetstream::detail {

using Clock = std::chrono::steady_clock;

/// One publish's own bound: short enough to retry within the append's.
inline constexpr std::chrono::milliseconds kPublishWait{2000};
/// How long a partition's opening retries a cluster that does not answer.
inline constexpr std::chrono::milliseconds kOpenPatience{30'000};
/// Appends sent at once, at most.
inline constexpr std::size_t kPipeline = 256;
/// How long a node waits for the partition owner's answer to a forward or
/// a read before it asks again (a forward: with the same request id, so it
/// is stored once, and found by it if it landed).
inline constexpr std::chrono::milliseconds kOwnerWait{1000};
/// With no owner (a failover), how often a node asks again whether one
/// has come.
inline constexpr std::chrono::milliseconds kOwnerPoll{100};
/// The least time a request to the owner is given: with less, even a "no
/// responders" may not come back in time on a busy machine, and a write
/// nobody took would look possibly stored. So it is not sent; the write or
/// read ends as it stands.
inline constexpr std::chrono::milliseconds kShortestAsk{250};
/// How long an owner in doubt (its lease ran out) asks for another owner
/// before it reads its own fold: long enough for a few tries past its own
/// read service (in the same queue group, it answers "unowned"), short
/// enough that a lone owner whose lease is late to renew stays quick.
inline constexpr std::chrono::milliseconds kDoubtPatience{600};
/// How soon an owner in doubt asks again after an "unowned" answer.
inline constexpr std::chrono::milliseconds kDoubtPoll{5};

/// Creates or opens `spec`'s stream for a partition's opening; throws
/// std::runtime_error naming it if the cluster does not answer.
inline void open_stream(Connection& connection, const StreamSpec& spec) {
  if (auto made = connection.ensure_stream(spec, kOpenPatience); !made)
    throw std::runtime_error(fmt::format("cannot create or open stream {} in the NATS cluster: {}", spec.name,
                                         made.error().message()));
}

/// Oee-Sets: a command's set changes, e.g. "1+,2-"; empty if none.
inline std::string sets_header(const AppendCommand& c) {
  std::string out;
  for (const auto& [set, member] : c.set_membership)
    out += fmt::format("{}{}{}", out.empty() ? "" : ",", static_cast<int>(set), member ? '+' : '-');
  return out;
}

/// The set changes an Oee-Sets value names ("1+,2-"); nothing if it is
/// not one.
inline std::optional<std::vector<std::pair<OrderSet, bool>>> parse_sets(std::string_view text) {
  std::vector<std::pair<OrderSet, bool>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    unsigned set = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), set);
    if (ec != std::errc{} || set > 255 || end + 1 != item.data() + item.size() || (*end != '+' && *end != '-'))
      return std::nullopt;
    out.emplace_back(static_cast<OrderSet>(set), *end == '+');
  }
  return out;
}

/// The batch a stored message says it is (header Oee-Batch:
/// <first position>+<count>): its first position and how many records it
/// holds; nothing if the header is missing or malformed.
inline std::optional<std::pair<Seq, std::uint64_t>> batch_of(const StoredMessage& m) {
  const auto text = m.header("Oee-Batch");
  const auto plus = text.find('+');
  if (plus == std::string_view::npos) return std::nullopt;
  std::uint64_t first = 0, count = 0;
  const auto a = std::from_chars(text.data(), text.data() + plus, first);
  const auto b = std::from_chars(text.data() + plus + 1, text.data() + text.size(), count);
  if (a.ptr != text.data() + plus || b.ptr != text.data() + text.size() || first == 0 || count == 0) return std::nullopt;
  return std::make_pair(Seq{first}, count);
}

/// What is left until `deadline`, at least 1 ms (a wait of 0 would not wait).
inline std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(1));
}

/// `attempt()` again while it fails for a reason that passes (a server
/// away, a stream electing its leader), for up to `patience`: what a
/// node's start asks of a cluster that is recovering from a fault.
template <class Attempt>
auto patiently(Attempt attempt, std::chrono::milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  auto result = attempt();
  const auto passing = [](const std::error_code& ec) { return ec == JsErrc::timeout || ec == JsErrc::not_connected; };
  while (!result && passing(result.error()) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    result = attempt();
  }
  return result;
}

}  // namespace oee::eventlog::jetstream::detail
