#pragma once
// The sniper orders that watch for launches, by the token they wait for
// and by expiry, and the judgement of a launch: a launch looks only at the
// orders for its own token. Not thread-safe: one owner.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include "core/domain/market.h"
#include "core/domain/order.h"
#include "core/domain/router.h"

namespace oee::core {

struct WatchingSniper {
  OrderId id;
  Seq seq;  // of the event that left it watching: first come, first judged
  TokenId input;
  TokenId target;
  Amount amount_in;
  Amount min_out;  // the price bound, as output for the whole amount
  SniperChecks checks;
  TimestampNs accepted_at;  // a launch from before it never counts
  TimestampNs expires_at;   // 0: never
  std::uint64_t launches_judged = 0;  // launches up to this number are judged
};

/// A watching sniper order as the watch holds it; `seq` is of the event
/// that left it watching.
[[nodiscard]] WatchingSniper watching_sniper_of(const OrderId& id, const OrderState& watching, Seq seq);

/// A launch a sniper turned down, and why.
struct TurnedDown {
  Venue venue = Venue::raydium;
  std::uint64_t launch = 0;
  std::string reason;
  LaunchSeen seen;
};

[[nodiscard]] LaunchSeen launch_seen(const Launch& launch);

/// Why a sniper with these checks and this bound turns a launch down, or
/// nullopt when it passes both: the rule the watch decides by, and the one
/// an audit redoes from the recorded launch.
[[nodiscard]] std::optional<std::string> sniper_fault(const SniperChecks& checks, Amount amount_in, Amount min_out,
                                                      const LaunchSeen& seen, int quote_decimals, int token_decimals);

/// What a sniper makes of its token's launches that it has not judged yet.
struct SniperJudgement {
  std::optional<RouteDecision> buy;       // the best launch that passes its checks and price bound
  std::vector<LaunchSeen> passed;         // with a buy: the launches it was chosen among
  std::optional<TurnedDown> turned_down;  // else the earliest launch it turns down
};

/// Judges the launches of `sniper.target` it has not judged: those against
/// its input token, numbered above launches_judged and launched after it
/// was accepted. Every launch that passes the checks and the price bound
/// is quoted for the whole amount (fee and price impact included); the
/// best fires it. Otherwise the earliest that does not is turned down, and
/// the rest wait for the next judgement.
[[nodiscard]] SniperJudgement judge_launches(const WatchingSniper& sniper, std::span<const Launch> launches);

class SniperWatch {
 public:
  SniperWatch() = default;
  SniperWatch(const SniperWatch&) = delete;  // the index holds iterators
  SniperWatch& operator=(const SniperWatch&) = delete;

  /// Adds a sniper; one already watching is replaced.
  void add(const WatchingSniper& sniper);
  /// Removes a sniper; false if it was not watching.
  bool remove(const OrderId& id);
  [[nodiscard]] bool contains(const OrderId& id) const { return where_.contains(id); }
  [[nodiscard]] std::size_t size() const { return where_.size(); }
  [[nodiscard]] const WatchingSniper* find(const OrderId& id) const;

  /// The snipers waiting for `target`, first come first.
  [[nodiscard]] std::vector<WatchingSniper> watching(TokenId target) const;
  /// Removes and returns the snipers whose expiry is at or before `now`,
  /// earliest first.
  std::vector<WatchingSniper> pop_expired(TimestampNs now);
  /// The earliest expiry; 0 when nothing expires.
  [[nodiscard]] TimestampNs next_expiry() const;

 private:
  using ByTarget = std::map<std::pair<Seq, OrderId>, WatchingSniper>;  // first come first, within one token
  using Expiries = std::multimap<std::int64_t, OrderId>;
  struct Where {
    const Token* target;
    ByTarget::iterator entry;
    Expiries::iterator expiry;  // expiries_.end() when it never expires
  };

  std::unordered_map<const Token*, ByTarget> by_target_;
  Expiries expiries_;
  std::unordered_map<OrderId, Where, OrderIdHash> where_;
};

}  // namespace oee::core
