#include "core/domain/sniper_watch.h"

#include <algorithm>

#include "core/domain/trigger.h"

namespace oee::core {

WatchingSniper watching_sniper_of(const OrderId& id, const OrderState& watching, Seq seq) {
  return WatchingSniper{id,
                        seq,
                        watching.input_token,
                        watching.output_token,
                        watching.amount_in,
                        watching.min_amount_out,
                        watching.checks,
                        watching.created,
                        watching.expires_at,
                        watching.launches_judged};
}

namespace {

// Why a launch fails the sniper's checks or price bound; nullopt if it
// passes them.
std::optional<std::string> fault_of(const WatchingSniper& sniper, const Launch& launch) {
  return sniper_fault(sniper.checks, sniper.amount_in, sniper.min_out, launch_seen(launch), launch.quote.decimals(),
                      launch.token.decimals());
}

}  // namespace

LaunchSeen launch_seen(const Launch& l) {
  return LaunchSeen{l.venue, l.number, l.token_reserve, l.quote_reserve, l.mint_renounced, l.freeze_authority};
}

std::optional<std::string> sniper_fault(const SniperChecks& checks, Amount amount_in, Amount min_out,
                                        const LaunchSeen& seen, int quote_decimals, int token_decimals) {
  if (checks.require_mint_renounced && !seen.mint_renounced) return "mint authority not renounced";
  if (checks.require_no_freeze && seen.freeze_authority) return "freeze authority present";
  if (seen.quote_reserve < checks.min_liquidity) {
    return "liquidity " + format_amount(seen.quote_reserve, quote_decimals) + " below the minimum " +
           format_amount(checks.min_liquidity, quote_decimals);
  }
  const Quote q = quote_pool(seen.venue, launch_pool(seen.venue, seen.token_reserve, seen.quote_reserve), amount_in);
  if (q.amount_out.base == 0 || q.amount_out < min_out) {
    return "price above the bound: the whole amount would buy " + format_amount(q.amount_out, token_decimals) +
           ", the order asks at least " + format_amount(min_out, token_decimals);
  }
  return std::nullopt;
}

SniperJudgement judge_launches(const WatchingSniper& sniper, std::span<const Launch> launches) {
  SniperJudgement j;
  Pools passing{};  // a venue without a passing launch quotes nothing
  bool any_passing = false;
  for (const Launch& l : launches) {
    if (l.token != sniper.target || l.quote != sniper.input || l.number <= sniper.launches_judged ||
        l.launched_at <= sniper.accepted_at) {
      continue;
    }
    if (auto fault = fault_of(sniper, l)) {
      if (!j.turned_down || l.number < j.turned_down->launch) {
        j.turned_down = TurnedDown{l.venue, l.number, *fault, launch_seen(l)};
      }
      continue;
    }
    passing[static_cast<std::size_t>(l.venue)] = launch_pool(l);
    std::erase_if(j.passed, [&](const LaunchSeen& s) { return s.venue == l.venue; });  // a venue's latest pool counts
    j.passed.push_back(launch_seen(l));
    any_passing = true;
  }
  if (any_passing) {
    j.buy = fires(passing, sniper.amount_in, sniper.min_out);
    std::sort(j.passed.begin(), j.passed.end(), [](const auto& a, const auto& b) { return a.venue < b.venue; });
    j.turned_down.reset();
  }
  return j;
}

void SniperWatch::add(const WatchingSniper& sniper) {
  remove(sniper.id);
  const Token* target = &sniper.target.token();
  const auto entry = by_target_[target].emplace(std::pair{sniper.seq, sniper.id}, sniper).first;
  const auto expiry =
      sniper.expires_at.value != 0 ? expiries_.emplace(sniper.expires_at.value, sniper.id) : expiries_.end();
  where_.emplace(sniper.id, Where{target, entry, expiry});
}

bool SniperWatch::remove(const OrderId& id) {
  auto it = where_.find(id);
  if (it == where_.end()) return false;
  const Where& w = it->second;
  if (w.expiry != expiries_.end()) expiries_.erase(w.expiry);
  auto target = by_target_.find(w.target);
  target->second.erase(w.entry);
  if (target->second.empty()) by_target_.erase(target);
  where_.erase(it);
  return true;
}

const WatchingSniper* SniperWatch::find(const OrderId& id) const {
  auto it = where_.find(id);
  return it == where_.end() ? nullptr : &it->second.entry->second;
}

std::vector<WatchingSniper> SniperWatch::watching(TokenId target) const {
  std::vector<WatchingSniper> out;
  if (!target) return out;
  auto it = by_target_.find(&target.token());
  if (it == by_target_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [key, sniper] : it->second) out.push_back(sniper);
  return out;
}

std::vector<WatchingSniper> SniperWatch::pop_expired(TimestampNs now) {
  std::vector<WatchingSniper> out;
  while (!expiries_.empty() && expiries_.begin()->first <= now.value) {
    const OrderId id = expiries_.begin()->second;
    out.push_back(*find(id));
    remove(id);
  }
  return out;
}

TimestampNs SniperWatch::next_expiry() const {
  return expiries_.empty() ? TimestampNs{} : TimestampNs{expiries_.begin()->first};
}

}  // namespace oee::core
