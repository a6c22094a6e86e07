#include "core/domain/amount.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace oee::core {
namespace {

constexpr int kSol = 9;
constexpr int kUsdc = 6;
constexpr int kBonk = 5;

// The parsed base units, or nullopt on any error (so a failure prints clearly).
std::optional<std::uint64_t> base_of(std::string_view text, int decimals) {
  const auto r = parse_amount(text, decimals);
  if (!r) return std::nullopt;
  return r->base;
}

std::optional<std::uint32_t> bps(std::string_view text) {
  const auto r = parse_bps_fraction(text);
  if (!r) return std::nullopt;
  return *r;
}

struct RoundTrip {
  const char* text;
  int decimals;
  std::uint64_t base;
};

TEST(ParseAmount, RoundTripsWithFormatAmount) {
  const RoundTrip cases[] = {
      {"1", kSol, 1'000'000'000},
      {"1.5", kSol, 1'500'000'000},
      {"0.000000001", kSol, 1},
      {"123.456789012", kSol, 123'456'789'012},
      {"10", kSol, 10'000'000'000},
      {"150.25", kUsdc, 150'250'000},
      {"0.000001", kUsdc, 1},
      {"1495.123456", kUsdc, 1'495'123'456},
      {"18446744073709.551615", kUsdc, std::numeric_limits<std::uint64_t>::max()},
      {"12345.6789", kBonk, 1'234'567'890},
      {"0.00001", kBonk, 1},
      {"1000000", kBonk, 100'000'000'000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.text) + " @" + std::to_string(c.decimals));
    const auto parsed = parse_amount(c.text, c.decimals);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->base, c.base);
    EXPECT_EQ(format_amount(*parsed, c.decimals), c.text);
    // format -> parse is the identity on base units as well.
    const auto again = parse_amount(format_amount(Amount{c.base}, c.decimals), c.decimals);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->base, c.base);
  }
}

TEST(ParseAmount, NormalisesEquivalentSpellings) {
  // Trailing zeros, a leading '+' and leading zeros do not change the value.
  EXPECT_EQ(base_of("1.500", kSol), 1'500'000'000u);
  EXPECT_EQ(base_of("+2", kUsdc), 2'000'000u);
  EXPECT_EQ(base_of("007.5", kUsdc), 7'500'000u);
  EXPECT_EQ(base_of(".5", kUsdc), 500'000u);
  EXPECT_EQ(format_amount(Amount{1'500'000'000}, kSol), "1.5");
  EXPECT_EQ(format_amount(Amount{0}, kSol), "0");
  EXPECT_EQ(format_amount(Amount{42}, 0), "42");
}

struct Rejection {
  const char* text;
  int decimals;
  AmountError error;
};

TEST(ParseAmount, RejectsInvalidInput) {
  const Rejection cases[] = {
      {"", kUsdc, AmountError::empty},
      {"abc", kUsdc, AmountError::not_a_number},
      {"-1", kUsdc, AmountError::not_positive},
      {"0", kUsdc, AmountError::not_positive},
      {"0.000", kUsdc, AmountError::not_positive},
      {"nan", kUsdc, AmountError::not_finite},
      {"inf", kUsdc, AmountError::not_finite},
      {"1e400", kUsdc, AmountError::too_large},
      {"1.2.3", kUsdc, AmountError::not_a_number},
      {"1e", kUsdc, AmountError::not_a_number},
      {"1e-10", kUsdc, AmountError::too_precise},
      {"0.0000001", kUsdc, AmountError::too_precise},
      {"99999999999999999999", kUsdc, AmountError::too_large},
      {"99999999999999999999", 0, AmountError::too_large},        // 20 digits > 2^64-1
      {"18446744073709.551616", kUsdc, AmountError::too_large},   // 2^64 base units
      {"0.0000000001", kSol, AmountError::too_precise},
      {"0.000001", kBonk, AmountError::too_precise},
      {"1 ", kUsdc, AmountError::not_a_number},
      {"1x", kUsdc, AmountError::not_a_number},
      {".", kUsdc, AmountError::not_a_number},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("'") + c.text + "' @" + std::to_string(c.decimals));
    const auto r = parse_amount(c.text, c.decimals);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.error) << describe(r.error());
  }
}

TEST(ParseAmount, AcceptsExponents) {
  EXPECT_EQ(base_of("1e3", kUsdc), 1'000'000'000u);
  EXPECT_EQ(base_of("2.5E2", kUsdc), 250'000'000u);
  EXPECT_EQ(base_of("1.5e-3", kUsdc), 1'500u);
  EXPECT_EQ(base_of("1e+2", kUsdc), 100'000'000u);
  EXPECT_EQ(base_of("1e-6", kUsdc), 1u);
  EXPECT_EQ(base_of("1e-9", kSol), 1u);
  EXPECT_EQ(base_of("250e-2", kBonk), 250'000u);
}

TEST(ParseAmount, DescribesEveryError) {
  for (auto e : {AmountError::empty, AmountError::not_a_number, AmountError::not_positive, AmountError::not_finite,
                 AmountError::too_precise, AmountError::too_large}) {
    EXPECT_FALSE(describe(e).empty());
  }
}

TEST(FormatRatio, HandComputedValues) {
  // 150 USDC (150'000'000 base, 6 dec) out for 1 SOL (10^9 base, 9 dec) in:
  // 150'000'000 * 10^3 / 10^9 = 150 exactly.
  EXPECT_EQ(format_ratio(150'000'000, kUsdc, 1'000'000'000, kSol), "150");
  // 1495.123456 USDC for 10 SOL = 149.5123456.
  EXPECT_EQ(format_ratio(1'495'123'456, kUsdc, 10'000'000'000, kSol), "149.5123456");
  // The inverse price: 1 SOL for 150 USDC = 0.00666... truncated to 12
  // significant digits, counted from the first non-zero one.
  EXPECT_EQ(format_ratio(1'000'000'000, kSol, 150'000'000, kUsdc), "0.00666666666666");
  EXPECT_EQ(format_ratio(1, 0, 4, 0), "0.25");
  EXPECT_EQ(format_ratio(1, 0, 2, 0), "0.5");
  EXPECT_EQ(format_ratio(1, 0, 3, 0), "0.333333333333");
  EXPECT_EQ(format_ratio(2, 0, 3, 0, 4), "0.6666");  // truncates, never rounds
  EXPECT_EQ(format_ratio(10, 0, 3, 0, 3), "3.333");  // whole part counts as significant
  EXPECT_EQ(format_ratio(5, 0, 0, 0), "0");           // division by zero is reported as 0
}

TEST(FormatRatio, TinyBonkPricesKeepSignificantDigits) {
  // 1'000'000 BONK (10^11 base, 5 dec) buys 0.166666666 SOL (166'666'666
  // base, 9 dec): 166'666'666 / (10^11 * 10^4) = 0.000000166666666 exactly.
  EXPECT_EQ(format_ratio(166'666'666, kSol, 100'000'000'000, kBonk), "0.000000166666666");
  // 1 BONK at 1/6'000'000 SOL: 1/6 * 10^-6 = 0.000000166666..., the 12
  // significant digits survive the six leading zeros.
  EXPECT_EQ(format_ratio(1'000'000'000, kSol, 6'000'000 * 100'000ULL, kBonk), "0.000000166666666666");
  // BONK per SOL is a large number: 6'000'000 BONK for 1 SOL.
  EXPECT_EQ(format_ratio(600'000'000'000, kBonk, 1'000'000'000, kSol), "6000000");
}

TEST(ParseBpsFraction, ConvertsFractionsToBasisPoints) {
  EXPECT_EQ(bps("0.01"), 100u);
  EXPECT_EQ(bps("0.005"), 50u);
  EXPECT_EQ(bps("0.0001"), 1u);
  EXPECT_EQ(bps("0"), 0u);
  EXPECT_EQ(bps("0.000"), 0u);
  EXPECT_EQ(bps("1"), 10'000u);
  EXPECT_EQ(bps("5e-3"), 50u);
}

TEST(ParseBpsFraction, RejectsInvalidFractions) {
  const auto too_precise = parse_bps_fraction("0.00001");
  ASSERT_FALSE(too_precise.has_value());
  EXPECT_EQ(too_precise.error(), AmountError::too_precise);

  const auto empty = parse_bps_fraction("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error(), AmountError::empty);

  const auto junk = parse_bps_fraction("abc");
  ASSERT_FALSE(junk.has_value());
  EXPECT_EQ(junk.error(), AmountError::not_a_number);

  const auto negative = parse_bps_fraction("-0.01");
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error(), AmountError::not_positive);

  const auto huge = parse_bps_fraction("1e10");
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error(), AmountError::too_large);
}

}  // namespace
}  // namespace oee::core
