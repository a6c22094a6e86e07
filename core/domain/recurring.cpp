#include "core/domain/recurring.h"

#include <array>
#include <limits>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>

namespace oee::core {

namespace {

using u128 = unsigned __int128;

u128 pow10(int n) {
  u128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

// Whether x * m is below (-1), equal to (0) or above (1) y, without
// computing x * m (it may not fit): x * m > y iff x > floor(y / m).
int compare_scaled(u128 x, u128 m, u128 y) {
  const u128 q = y / m;
  if (x > q) return 1;
  if (x < q) return -1;
  return y % m == 0 ? 0 : -1;
}

}  // namespace

OrderId slice_order_id(const OrderId& parent, std::uint32_t k) {
  static const boost::uuids::uuid kNamespace =
      boost::uuids::string_generator()("8c1d7f52-3b0e-4a8e-bb2f-6a0f3c9e1d47");  // oee's recurring slices
  std::array<std::uint8_t, 20> name{};
  std::copy(parent.bytes().begin(), parent.bytes().end(), name.begin());
  for (int i = 0; i < 4; ++i) name[16 + i] = static_cast<std::uint8_t>(k >> (8 * (3 - i)));
  const auto u = boost::uuids::name_generator_sha1(kNamespace)(name.data(), name.size());
  OrderId::Bytes bytes{};
  std::copy(u.begin(), u.end(), bytes.begin());
  return OrderId(bytes);
}

Amount slice_amount(Amount amount, std::uint32_t slices, std::uint32_t k) {
  if (slices == 0) return Amount{};
  const std::uint64_t share = amount.base / slices;
  return Amount{share + (k < amount.base % slices ? 1 : 0)};
}

TimestampNs next_slice_due(const OrderState& parent, TimestampNs now) {
  const std::int64_t interval = std::int64_t{parent.recurring.interval_s} * 1'000'000'000;
  const TimestampNs due = parent.slices.empty() ? parent.first_due
                                                : TimestampNs{parent.slices.back().due_at.value + interval};
  if (parent.recurring.catch_up || now.value - due.value < interval) return due;
  return now;
}

int compare_price(Amount in, int in_decimals, Amount out, int out_decimals, std::uint64_t price_e12) {
  // out / 10^od  vs  price / 10^12 * in / 10^id, as
  // out * 10^id * 10^12  vs  price * in * 10^od.
  const u128 lhs = u128{out.base} * pow10(in_decimals);
  const u128 rhs = u128{price_e12} * in.base;
  if (out_decimals <= 12) return compare_scaled(lhs, pow10(12 - out_decimals), rhs);
  return -compare_scaled(rhs, pow10(out_decimals - 12), lhs);
}

std::optional<std::string> outside_price_range(const RecurringTerms& terms, Amount in, int in_decimals, Amount out,
                                               int out_decimals) {
  if (terms.min_price_e12 != 0 && compare_price(in, in_decimals, out, out_decimals, terms.min_price_e12) < 0) {
    return std::string("price below minPrice");
  }
  if (terms.max_price_e12 != 0 && compare_price(in, in_decimals, out, out_decimals, terms.max_price_e12) > 0) {
    return std::string("price above maxPrice");
  }
  return std::nullopt;
}

RecurringProgress recurring_progress(const OrderState& parent, const std::vector<const OrderState*>& children) {
  RecurringProgress p;
  std::size_t child = 0;
  for (const SliceState& slice : parent.slices) {
    if (!slice.child) {
      ++p.skipped;
      continue;
    }
    const OrderState* c = child < children.size() ? children[child] : nullptr;
    ++child;
    if (c == nullptr || !is_terminal(c->status)) {
      ++p.running;
      continue;
    }
    ++p.done;
    if (c->status == Status::confirmed || c->status == Status::partially_filled) {
      p.spent.base += filled_in(*c).base;
      p.received.base += c->amount_out.base;
    }
  }
  p.left = parent.recurring.slices - p.done - p.skipped;
  return p;
}

}  // namespace oee::core
