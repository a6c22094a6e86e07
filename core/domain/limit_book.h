#pragma once
// The waiting limit orders: per pair and direction, ordered by the price
// they ask (min_out / amount, lowest first: the first to fire), first come
// first served among equal prices; and by expiry.
//
// A price change pops only the orders it fires: the walk stops at the first
// order whose price no pool's spot price reaches, so it costs O(k log n)
// for k fired orders of n waiting. Not thread-safe: one owner.

#include <array>
#include <cstddef>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/domain/order.h"
#include "core/domain/tokens.h"
#include "core/domain/trigger.h"
#include "eventlog/types.h"

namespace oee::core {

struct BookOrder {
  OrderId id;
  Seq seq;  // of the event that put it in the book: the tie-break
  TokenId input;
  TokenId output;
  Amount amount_in;
  Amount min_out;
  TimestampNs expires_at;  // 0: never
};

/// An open limit order as the book holds it; `seq` is of the event that
/// opened it.
[[nodiscard]] BookOrder book_order_of(const OrderId& id, const OrderState& open, Seq seq);

struct FiredOrder {
  BookOrder order;
  RouteDecision decision;  // on the pools as the orders fired before it left them
};

/// One price level of a book side, for display.
struct BookLevel {
  Amount min_out;  // of the level's first order, with its amount: the price
  Amount amount_in;
  Amount total_in;  // all the level's orders
  std::size_t orders = 0;
};

class LimitBook {
 public:
  LimitBook() = default;
  // The index holds iterators into the containers, end() among them: a
  // moved or copied book would point into the old one.
  LimitBook(const LimitBook&) = delete;
  LimitBook& operator=(const LimitBook&) = delete;

  /// Adds an order; an order already in the book is replaced.
  void add(const BookOrder& order);
  /// Removes an order; false if it was not in the book.
  bool remove(const OrderId& id);
  [[nodiscard]] bool contains(const OrderId& id) const { return where_.contains(id); }
  [[nodiscard]] std::size_t size() const { return where_.size(); }
  /// Orders in one direction.
  [[nodiscard]] std::size_t count(TokenId input, TokenId output) const;

  /// Removes and returns the orders whose expiry is at or before `now`,
  /// earliest first.
  std::vector<BookOrder> pop_expired(TimestampNs now);
  /// The earliest expiry in the book; 0 when nothing expires.
  [[nodiscard]] TimestampNs next_expiry() const;

  /// The (input, output) directions that hold orders.
  [[nodiscard]] std::vector<std::pair<TokenId, TokenId>> directions() const;

  /// Removes and returns the orders of one direction that `pools` (in
  /// kAllVenues order) fire, lowest asked price first. Each fired order's
  /// swap moves the pools before the next order is checked.
  std::vector<FiredOrder> pop_fired(TokenId input, TokenId output, Pools pools);

  /// The direction's orders grouped by asked price, lowest first, at most
  /// `max_levels` levels.
  [[nodiscard]] std::vector<BookLevel> levels(TokenId input, TokenId output, std::size_t max_levels) const;

 private:
  struct ByAskedPrice {
    bool operator()(const BookOrder& a, const BookOrder& b) const {
      if (asks_less(a.min_out, a.amount_in, b.min_out, b.amount_in)) return true;
      if (asks_less(b.min_out, b.amount_in, a.min_out, a.amount_in)) return false;
      if (a.seq != b.seq) return a.seq < b.seq;
      return a.id < b.id;  // seqs are an order's own; this keeps the set whole if they were not
    }
  };
  using Side = std::set<BookOrder, ByAskedPrice>;  // the orders themselves: set nodes do not move
  using Direction = std::pair<const Token*, const Token*>;
  using Expiries = std::multimap<std::int64_t, OrderId>;
  struct Where {
    Side::iterator entry;
    Expiries::iterator expiry;  // expiries_.end() when it never expires
  };
  using Index = std::unordered_map<OrderId, Where, OrderIdHash>;

  // Takes an order out of its side, the expiries and the index; an emptied
  // side stays for the caller to drop.
  void erase_entry(Side& side, Index::iterator it);
  void erase(Index::iterator it);

  std::map<Direction, Side> sides_;
  Expiries expiries_;
  Index where_;
};

}  // namespace oee::core
