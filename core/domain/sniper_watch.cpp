#include "core/domain/sniper_watch.h"

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
  if (sniper.checks.require_mint_renounced && !launch.mint_renounced) return "mint authority not renounced";
  if (sniper.checks.require_no_freeze && launch.freeze_authority) return "freeze authority present";
  if (launch.quote_reserve < sniper.checks.min_liquidity) {
    return "liquidity " + format_amount(launch.quote_reserve, launch.quote.decimals()) + " below the minimum " +
           format_amount(sniper.checks.min_liquidity, launch.quote.decimals());
  }
  const Quote q = quote_pool(launch.venue, launch_pool(launch), sniper.amount_in);
  if (q.amount_out.base == 0 || q.amount_out < sniper.min_out) {
    return "price above the bound: the whole amount would buy " +
           format_amount(q.amount_out, launch.token.decimals()) + ", the order asks at least " +
           format_amount(sniper.min_out, launch.token.decimals());
  }
  return std::nullopt;
}

}  // namespace

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
      if (!j.turned_down || l.number < j.turned_down->launch) j.turned_down = TurnedDown{l.venue, l.number, *fault};
      continue;
    }
    passing[static_cast<std::size_t>(l.venue)] = launch_pool(l);
    any_passing = true;
  }
  if (any_passing) {
    j.buy = fires(passing, sniper.amount_in, sniper.min_out);
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
