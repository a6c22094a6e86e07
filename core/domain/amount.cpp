#include "core/domain/amount.h"

#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

namespace oee::core {

std::string_view describe(AmountError e) {
  switch (e) {
    case AmountError::empty: return "must not be empty";
    case AmountError::not_a_number: return "must be a decimal number";
    case AmountError::not_positive: return "must be greater than zero";
    case AmountError::not_finite: return "must be a finite number";
    case AmountError::too_precise: return "has more decimal places than the token supports";
    case AmountError::too_large: return "is too large";
  }
  return "is invalid";
}

namespace {

using u128 = unsigned __int128;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Splits "[+]digits[.digits][e[+-]digits]" into digits and a decimal exponent.
struct Decimal {
  std::string digits;  // significant digits, no dot
  long exponent = 0;   // value = digits * 10^exponent
};

boost::system::result<Decimal, AmountError> split_decimal(std::string_view s) {
  if (s.empty()) return AmountError::empty;
  std::size_t i = 0;
  if (s[i] == '+') ++i;
  else if (s[i] == '-') {
    // A negative number is a well-formed number that is not positive.
    bool any_digit = false;
    for (char c : s.substr(1)) any_digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
    return any_digit ? AmountError::not_positive : AmountError::not_a_number;
  }
  const std::string_view rest = s.substr(i);
  if (rest == "inf" || rest == "infinity" || rest == "nan" || rest == "Infinity" || rest == "NaN")
    return AmountError::not_finite;

  Decimal d;
  bool seen_dot = false, seen_digit = false;
  long frac_digits = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      d.digits.push_back(c);
      seen_digit = true;
      if (seen_dot) ++frac_digits;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return AmountError::not_a_number;
  long exp = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return AmountError::not_a_number;
    ++i;
    const char* begin = s.data() + i;
    const char* end = s.data() + s.size();
    const bool explicit_plus = begin != end && *begin == '+';
    if (explicit_plus) ++begin;
    if (begin == end || (explicit_plus && *begin == '-')) return AmountError::not_a_number;
    auto [ptr, ec] = std::from_chars(begin, end, exp);
    if (ec == std::errc::result_out_of_range) return AmountError::too_large;
    if (ec != std::errc{} || ptr != end) return AmountError::not_a_number;
    if (exp > 1000 || exp < -1000) return exp > 0 ? AmountError::too_large : AmountError::too_precise;
  }
  d.exponent = exp - frac_digits;
  // Normalise: strip leading zeros, move trailing zeros into the exponent.
  const auto first = d.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    d.digits.assign(1, '0');  // not = "0": GCC 12 raises a false -Wrestrict
    d.exponent = 0;
    return d;
  }
  d.digits.erase(0, first);
  while (d.digits.size() > 1 && d.digits.back() == '0') {
    d.digits.pop_back();
    ++d.exponent;
  }
  return d;
}

}  // namespace

boost::system::result<Amount, AmountError> parse_amount(std::string_view text, int decimals) {
  auto d = split_decimal(text);
  if (!d) return d.error();
  if (d->digits == "0") return AmountError::not_positive;
  const long scale = d->exponent + decimals;  // base units = digits * 10^scale
  if (scale < 0) return AmountError::too_precise;
  if (static_cast<long>(d->digits.size()) + scale > 20) return AmountError::too_large;
  u128 v = 0;
  for (char c : d->digits) v = v * 10 + static_cast<unsigned>(c - '0');
  for (long k = 0; k < scale; ++k) v *= 10;
  if (v > kMax) return AmountError::too_large;
  return Amount{static_cast<std::uint64_t>(v)};
}

std::string format_amount(Amount amount, int decimals) {
  // Built in a stack buffer and returned once: most amounts fit the
  // string's small buffer, so formatting one usually allocates nothing.
  char digits[24];
  const auto n = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, amount.base).ptr - digits);
  if (decimals <= 0) return std::string(digits, n);
  const auto d = static_cast<std::size_t>(std::min(decimals, 40));  // tokens have at most 18
  char out[64];
  std::size_t len = 0;
  if (n <= d) {
    out[len++] = '0';
  } else {
    std::memcpy(out, digits, n - d);
    len = n - d;
  }
  // The fraction: d digits, left-padded with zeros, without trailing zeros.
  char frac[48];
  const std::size_t pad = n < d ? d - n : 0;
  std::memset(frac, '0', pad);
  const std::size_t from = n > d ? n - d : 0;
  std::memcpy(frac + pad, digits + from, n - from);
  std::size_t flen = d;
  while (flen > 0 && frac[flen - 1] == '0') --flen;
  if (flen > 0) {
    out[len++] = '.';
    std::memcpy(out + len, frac, flen);
    len += flen;
  }
  return std::string(out, len);
}

std::string format_ratio(std::uint64_t numerator, int num_decimals, std::uint64_t denominator, int den_decimals,
                         int digits) {
  if (denominator == 0) return "0";
  // value = numerator * 10^(den_decimals - num_decimals) / denominator
  u128 num = numerator;
  u128 den = denominator;
  int shift = den_decimals - num_decimals;
  for (; shift > 0; --shift) num *= 10;
  for (; shift < 0; ++shift) den *= 10;
  const u128 whole = num / den;
  u128 rem = num % den;
  std::string out;
  {
    u128 w = whole;
    do {
      out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(w % 10)));
      w /= 10;
    } while (w != 0);
  }
  // Below 1, count significant digits from the first non-zero one, so
  // small prices (BONK in SOL) keep their precision. Truncates, never rounds.
  std::string frac;
  int significant = 0;
  while (rem != 0 && frac.size() < 40 && significant < digits) {
    rem *= 10;
    const int digit = static_cast<int>(rem / den);
    rem %= den;
    frac.push_back(static_cast<char>('0' + digit));
    if (whole != 0 || significant > 0 || digit != 0) ++significant;
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

boost::system::result<std::uint32_t, AmountError> parse_bps_fraction(std::string_view text) {
  auto d = split_decimal(text);
  if (!d) return d.error();
  if (d->digits == "0") return 0u;
  const long scale = d->exponent + 4;
  if (scale < 0) return AmountError::too_precise;
  if (static_cast<long>(d->digits.size()) + scale > 9) return AmountError::too_large;
  std::uint64_t v = 0;
  for (char c : d->digits) v = v * 10 + static_cast<unsigned>(c - '0');
  for (long k = 0; k < scale; ++k) v *= 10;
  return static_cast<std::uint32_t>(v);
}

boost::system::result<Amount, AmountError> amount_at_price(Amount amount_in, int in_decimals, std::uint64_t price_e12,
                                                          int out_decimals) {
  using u128 = unsigned __int128;
  if (amount_in.base == 0 || price_e12 == 0) return AmountError::not_positive;
  const int shift = kPriceDecimals + in_decimals - out_decimals;
  u128 value = u128{amount_in.base} * price_e12;  // < 2^128: two 64-bit factors
  if (shift >= 0) {
    u128 divisor = 1;
    for (int i = 0; i < shift; ++i) divisor *= 10;
    value = value / divisor + (value % divisor != 0 ? 1 : 0);
  } else {
    for (int i = 0; i < -shift; ++i) {
      if (value > std::numeric_limits<u128>::max() / 10) return AmountError::too_large;
      value *= 10;
    }
  }
  if (value > std::numeric_limits<std::uint64_t>::max()) return AmountError::too_large;
  return Amount{static_cast<std::uint64_t>(value)};
}

boost::system::result<Amount, AmountError> amount_at_max_price(Amount amount_in, int in_decimals,
                                                              std::uint64_t max_price_e12, int out_decimals) {
  using u128 = unsigned __int128;
  if (amount_in.base == 0 || max_price_e12 == 0) return AmountError::not_positive;
  // amount_in / 10^in * 10^out * 10^12 / price: scale by whichever power is
  // positive, then divide rounding up.
  const int shift = kPriceDecimals + out_decimals - in_decimals;
  u128 value = amount_in.base;
  u128 divisor = max_price_e12;
  for (int i = 0; i < shift; ++i) {
    if (value > std::numeric_limits<u128>::max() / 10) return AmountError::too_large;
    value *= 10;
  }
  for (int i = 0; i < -shift; ++i) {
    if (divisor > std::numeric_limits<u128>::max() / 10) return AmountError::too_large;
    divisor *= 10;
  }
  value = value / divisor + (value % divisor != 0 ? 1 : 0);
  if (value > std::numeric_limits<std::uint64_t>::max()) return AmountError::too_large;
  return Amount{static_cast<std::uint64_t>(value)};
}

}  // namespace oee::core
