#pragma once
// Audits of the event log: what oee-logdump --verify runs, and the smaller
// check oee-server makes before it resumes orders.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/order.h"
#include "core/engine/decision_audit.h"
#include "eventlog/event_log.h"

namespace oee::core {

struct AuditProblem {
  Seq seq;  // the first bad seq (for a derived-state mismatch: the order's last event)
  std::string message;
};

struct AuditReport {
  std::uint64_t events = 0;
  std::uint64_t orders = 0;
  std::uint64_t keys = 0;  // API keys
  std::uint64_t bytes = 0;  // stored value bytes
  std::optional<AuditProblem> problem;
  /// Every decision re-derived from its recorded facts (decision_audit.h);
  /// a violation is no damage to the log, so the fold goes on past it.
  std::array<DecisionCount, kDecisionKinds> decisions{};
  std::vector<DecisionViolation> decision_violations;  // the first ones
  std::uint64_t decision_violation_count = 0;
};

/// Full audit: dense seqs from 1, every checksum, every payload decodes,
/// every order's events are legal under the state machine, every decision
/// follows from the facts its event records, and every
/// snapshot, order set, finished-order record and the latest checkpoint
/// equals a fresh fold of the log. Stops at the
/// first problem. `progress` (optional) is called with the seq reached.
/// A cluster's log is audited partition by partition (log.partition(p)).
[[nodiscard]] AuditReport audit_log(const eventlog::LogPartitionReader& log,
                                    const std::function<void(Seq)>& progress = {});

/// What oee-server checks before resuming: every non-terminal order's events
/// decode and fold to its stored snapshot. Returns those orders as their
/// events fold, in the log's order of ids; throws std::runtime_error saying
/// what is wrong and what to do. Reads on up to `threads` threads, one for
/// every `orders_per_thread` orders: with many waiting orders, this check
/// is most of a restart. A local disk reads fast, so a thread pays for
/// itself only over many orders; a cluster's log waits for the network on
/// every read, so there a few orders a thread pay.
///
/// An event that decodes but is illegal in its order's state stops the
/// check, unless `skip_illegal`: then it is left out of its order's fold,
/// as a cluster partition's follower leaves it out (Errc::illegal), so
/// one order written wrongly by an older build does not stop the others.
[[nodiscard]] std::vector<OrderSnapshot> check_resumable(const eventlog::EventLogReader& log, unsigned threads = 1,
                                                         std::size_t orders_per_thread = 1024,
                                                         bool skip_illegal = false);

}  // namespace oee::core
