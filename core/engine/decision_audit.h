#pragma once
// Re-deriving every decision from the facts its event records, with no
// access to the market or the chain: the venue chosen among the recorded
// quotes, the minimum out from the quote and the slippage, the transaction
// sent, the fill against the pool it executed on, a refusal for slippage,
// a sniper's launches against its checks and bound, expiries against their
// deadline, retries against their backoff, one fill per order. Part of
// oee-logdump --verify (core/engine/log_audit.h); docs/audit.md lists the
// rules.
//
// Fed each order event in seq order with its order's state before it; not
// thread-safe. A fact an older event does not record makes its decision
// "not checkable", never a violation.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/domain/order.h"
#include "core/domain/router.h"
#include "eventlog/types.h"

namespace oee::core {

enum class DecisionKind : std::uint8_t {
  routing,      // the venue chosen (or the split): the best net output among the recorded quotes
  min_out,      // the floor: the quote and the slippage (a limit or sniper order: its own)
  transaction,  // sent on the chosen venue, with that floor, under the signature of (order, attempt)
  fill,         // at least the floor, and what the recorded pool gives
  refusal,      // a refusal for slippage: the recorded pool gives less than the floor
  launch,       // a sniper's: each launch judged against its checks and bound
  expiry,       // expired at or after its deadline; triggered before it
  retry,        // retried no earlier than its retry time; backoff doubling
  one_fill,     // one confirmed transaction per order (a split's: per leg), none confirmed for two
};
inline constexpr std::size_t kDecisionKinds = 9;
[[nodiscard]] std::string_view decision_kind_name(DecisionKind kind);

/// The pools recorded quotes were made on, one per venue in venue order;
/// nullopt when they are not that (an older log's quotes without pools).
[[nodiscard]] std::optional<Pools> recorded_pools(const std::vector<Quote>& quotes);

struct DecisionCount {
  std::uint64_t checked = 0;
  std::uint64_t not_checkable = 0;  // the event lacks a fact (an older log)
  std::uint64_t violations = 0;
};

struct DecisionViolation {
  OrderId order;
  Seq seq;
  DecisionKind kind;
  std::string recorded;
  std::string recomputed;
};

class DecisionAudit {
 public:
  /// The first violations kept in full; all are counted.
  static constexpr std::size_t kKeptViolations = 20;

  void observe(const OrderId& order, Seq seq, TimestampNs ts, const OrderEvent& event, const OrderState& before);

  [[nodiscard]] const std::array<DecisionCount, kDecisionKinds>& counts() const { return counts_; }
  [[nodiscard]] const std::vector<DecisionViolation>& violations() const { return violations_; }
  [[nodiscard]] std::uint64_t violation_count() const;

 private:
  // What an order's later decisions need of its earlier ones.
  struct Memo {
    std::int64_t last_delay_ns = 0;  // the last backoff, within one budget of attempts
    std::uint32_t confirmed = 0;
  };

  void check(DecisionKind kind, bool holds, const OrderId& order, Seq seq, std::string recorded,
             std::string recomputed);
  void not_checkable(DecisionKind kind) { ++counts_[static_cast<std::size_t>(kind)].not_checkable; }

  void routed(const OrderId& order, Seq seq, const Routed& e, const OrderState& before);
  void sent(const OrderId& order, Seq seq, const TxSubmitted& e, const OrderState& before);
  void attempt_started(const OrderId& order, Seq seq, TimestampNs ts, const OrderState& before);
  void routed_and_sent(const OrderId& order, Seq seq, TimestampNs ts, const RoutedAndSent& e,
                       const OrderState& before);
  void confirmed(const OrderId& order, Seq seq, const Confirmed& e, const OrderState& before);
  void leg_settled(const OrderId& order, Seq seq, const LegSettled& e, const OrderState& before);
  void failed(const OrderId& order, Seq seq, TimestampNs ts, const AttemptFailed& e, const OrderState& before);
  void triggered(const OrderId& order, Seq seq, const Triggered& e, const OrderState& before);
  void launch_rejected(const OrderId& order, Seq seq, const LaunchRejected& e, const OrderState& before);

  std::array<DecisionCount, kDecisionKinds> counts_{};
  std::vector<DecisionViolation> violations_;
  std::unordered_map<OrderId, Memo, OrderIdHash> memos_;
  std::unordered_set<std::string> confirmed_txs_;
};

}  // namespace oee::core
