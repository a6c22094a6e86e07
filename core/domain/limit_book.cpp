#include "core/domain/limit_book.h"

namespace oee::core {

BookOrder book_order_of(const OrderId& id, const OrderState& open, Seq seq) {
  return BookOrder{id, seq, open.input_token, open.output_token, open.amount_in, open.min_amount_out, open.expires_at};
}

void LimitBook::add(const BookOrder& order) {
  remove(order.id);
  const Direction dir{&order.input.token(), &order.output.token()};
  Side& side = sides_[dir];
  const auto entry = side.insert(order).first;
  const auto expiry =
      order.expires_at.value != 0 ? expiries_.emplace(order.expires_at.value, order.id) : expiries_.end();
  where_.emplace(order.id, Where{entry, expiry});
}

void LimitBook::erase_entry(Side& side, Index::iterator it) {
  const Where& w = it->second;
  if (w.expiry != expiries_.end()) expiries_.erase(w.expiry);
  side.erase(w.entry);
  where_.erase(it);
}

void LimitBook::erase(Index::iterator it) {
  const BookOrder& order = *it->second.entry;
  auto side = sides_.find(Direction{&order.input.token(), &order.output.token()});
  erase_entry(side->second, it);
  if (side->second.empty()) sides_.erase(side);
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
    out.push_back(*it->second.entry);
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
    fired.push_back(FiredOrder{*e, std::move(*decision)});
    const auto where = where_.find(e->id);
    ++e;
    erase_entry(side, where);
  }
  if (side.empty()) sides_.erase(side_it);
  return fired;
}

std::vector<BookLevel> LimitBook::levels(TokenId input, TokenId output, std::size_t max_levels) const {
  std::vector<BookLevel> out;
  auto side_it = sides_.find(Direction{&input.token(), &output.token()});
  if (side_it == sides_.end()) return out;
  for (const BookOrder& e : side_it->second) {
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
