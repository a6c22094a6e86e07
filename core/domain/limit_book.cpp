#include "core/domain/limit_book.h"

namespace oee::core {

void LimitBook::add(const BookOrder& order) {
  remove(order.id);
  const Direction dir{&order.input.token(), &order.output.token()};
  Side& side = sides_[dir];
  const auto entry = side.insert(Entry{order.min_out, order.amount_in, order.seq, order.id}).first;
  const auto expiry =
      order.expires_at.value != 0 ? expiries_.emplace(order.expires_at.value, order.id) : expiries_.end();
  where_.emplace(order.id, Where{order, entry, expiry});
}

void LimitBook::erase(std::unordered_map<OrderId, Where, OrderIdHash>::iterator it) {
  const Where& w = it->second;
  const Direction dir{&w.order.input.token(), &w.order.output.token()};
  auto side = sides_.find(dir);
  side->second.erase(w.entry);
  if (side->second.empty()) sides_.erase(side);
  if (w.expiry != expiries_.end()) expiries_.erase(w.expiry);
  where_.erase(it);
}

bool LimitBook::remove(const OrderId& id) {
  auto it = where_.find(id);
  if (it == where_.end()) return false;
  erase(it);
  return true;
}

std::size_t LimitBook::count(TokenId input, TokenId output) const {
  auto it = sides_.find(Direction{&input.token(), &output.token()});
  return it == sides_.end() ? 0 : it->second.size();
}

std::vector<BookOrder> LimitBook::pop_expired(TimestampNs now) {
  std::vector<BookOrder> out;
  while (!expiries_.empty() && expiries_.begin()->first <= now.value) {
    auto it = where_.find(expiries_.begin()->second);
    out.push_back(it->second.order);
    erase(it);
  }
  return out;
}

TimestampNs LimitBook::next_expiry() const {
  return expiries_.empty() ? TimestampNs{} : TimestampNs{expiries_.begin()->first};
}

std::vector<std::pair<TokenId, TokenId>> LimitBook::directions() const {
  std::vector<std::pair<TokenId, TokenId>> out;
  out.reserve(sides_.size());
  for (const auto& [dir, side] : sides_) out.emplace_back(TokenId(*dir.first), TokenId(*dir.second));
  return out;
}

std::vector<FiredOrder> LimitBook::pop_fired(TokenId input, TokenId output, Pools pools) {
  std::vector<FiredOrder> fired;
  auto side_it = sides_.find(Direction{&input.token(), &output.token()});
  if (side_it == sides_.end()) return fired;
  Side& side = side_it->second;
  for (auto e = side.begin(); e != side.end();) {
    bool reachable = false;
    for (const Pool& p : pools) reachable = reachable || spot_reaches(p, e->amount_in, e->min_out);
    if (!reachable) break;  // nor is any later order's price
    auto decision = fires(pools, e->amount_in, e->min_out);
    if (!decision) {
      ++e;  // its size's price impact keeps it below: a smaller order behind it may still fire
      continue;
    }
    for (std::size_t v = 0; v < pools.size(); ++v) {
      if (kAllVenues[v] == decision->best.venue) pools[v] = after_swap(pools[v], decision->best);
    }
    auto where = where_.find(e->id);
    fired.push_back(FiredOrder{where->second.order, std::move(*decision)});
    ++e;
    if (where->second.expiry != expiries_.end()) expiries_.erase(where->second.expiry);
    side.erase(where->second.entry);
    where_.erase(where);
  }
  if (side.empty()) sides_.erase(side_it);
  return fired;
}

std::vector<BookLevel> LimitBook::levels(TokenId input, TokenId output, std::size_t max_levels) const {
  std::vector<BookLevel> out;
  auto side_it = sides_.find(Direction{&input.token(), &output.token()});
  if (side_it == sides_.end()) return out;
  for (const Entry& e : side_it->second) {
    const bool same_price = !out.empty() && !asks_less(out.back().min_out, out.back().amount_in, e.min_out, e.amount_in);
    if (!same_price) {
      if (out.size() == max_levels) break;
      out.push_back(BookLevel{e.min_out, e.amount_in, Amount{}, 0});
    }
    out.back().total_in.base += e.amount_in.base;
    ++out.back().orders;
  }
  return out;
}

}  // namespace oee::core
