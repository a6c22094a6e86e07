#include "api/routes/submit_request.h"

#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/http/api_error.h"
#include "core/domain/order.h"

namespace oee::api {
namespace {

boost::json::value body_of(std::string_view text) { return boost::json::parse(text); }

// parse_submit, with any exception turned into a test failure so one bad case
// does not abort the rest of a table.
std::optional<boost::system::result<SubmitRequest, ApiError>> try_parse(std::string_view text) {
  try {
    return parse_submit(body_of(text));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "parse_submit threw: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "parse_submit threw a non-std exception";
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Valid bodies
// ---------------------------------------------------------------------------

struct ValidCase {
  const char* name;
  const char* body;
  const char* input;
  const char* output;
  std::uint64_t amount_base;
  std::uint32_t slippage_bps;
};

TEST(ParseSubmit, AcceptsValidBodies) {
  const ValidCase cases[] = {
      {"canonical fields, fractional slippage",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":10,"slippage":0.01})", "SOL", "USDC", 10'000'000'000u,
       100},
      {"slippage absent -> default 50 bps", R"({"inputToken":"SOL","outputToken":"USDC","amount":10})", "SOL",
       "USDC", 10'000'000'000u, 50},
      {"aliases tokenIn/tokenOut", R"({"tokenIn":"SOL","tokenOut":"USDC","amount":10})", "SOL", "USDC",
       10'000'000'000u, 50},
      {"aliases token_in/token_out/order_type/max_slippage",
       R"({"token_in":"USDC","token_out":"SOL","order_type":"market","amount":2,"max_slippage":0.02})", "USDC", "SOL",
       2'000'000u, 200},
      {"alias amountIn", R"({"inputToken":"SOL","outputToken":"USDC","amountIn":3})", "SOL", "USDC", 3'000'000'000u,
       50},
      {"alias amount_in", R"({"inputToken":"SOL","outputToken":"USDC","amount_in":"0.5"})", "SOL", "USDC",
       500'000'000u, 50},
      {"alias orderType / maxSlippage",
       R"({"orderType":"market","inputToken":"USDC","outputToken":"BONK","amount":1,"maxSlippage":"0.005"})", "USDC",
       "BONK", 1'000'000u, 50},
      {"slippageBps 25", R"({"inputToken":"SOL","outputToken":"USDC","amount":10,"slippageBps":25})", "SOL", "USDC",
       10'000'000'000u, 25},
      {"alias slippage_bps", R"({"inputToken":"SOL","outputToken":"USDC","amount":10,"slippage_bps":75})", "SOL",
       "USDC", 10'000'000'000u, 75},
      {"slippageBps lower bound 0", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":0})", "SOL",
       "USDC", 1'000'000'000u, 0},
      {"slippageBps upper bound 5000", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":5000})",
       "SOL", "USDC", 1'000'000'000u, 5000},
      {"slippage lower bound 0", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0})", "SOL",
       "USDC", 1'000'000'000u, 0},
      {"slippage upper bound 0.5", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.5})", "SOL",
       "USDC", 1'000'000'000u, 5000},
      {"slippage smallest step 0.0001 (to_chars gives 1e-04)",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.0001})", "SOL", "USDC", 1'000'000'000u,
       1},
      {"slippage as decimal string", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":"0.0125"})",
       "SOL", "USDC", 1'000'000'000u, 125},
      {"amount as decimal string 1.5", R"({"inputToken":"SOL","outputToken":"USDC","amount":"1.5"})", "SOL", "USDC",
       1'500'000'000u, 50},
      {"amount as JSON double 0.1 for USDC is exact", R"({"inputToken":"USDC","outputToken":"SOL","amount":0.1})",
       "USDC", "SOL", 100'000u, 50},
      {"amount as JSON double 0.3 for USDC is exact", R"({"inputToken":"USDC","outputToken":"SOL","amount":0.3})",
       "USDC", "SOL", 300'000u, 50},
      {"amount as JSON double 1.1 for SOL is exact", R"({"inputToken":"SOL","outputToken":"USDC","amount":1.1})",
       "SOL", "USDC", 1'100'000'000u, 50},
      {"amount smallest SOL unit as string", R"({"inputToken":"SOL","outputToken":"USDC","amount":"0.000000001"})",
       "SOL", "USDC", 1u, 50},
      {"amount in exponent form string", R"({"inputToken":"SOL","outputToken":"USDC","amount":"2.5E2"})", "SOL",
       "USDC", 250'000'000'000u, 50},
      {"amount max uint64 base units",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":"18446744073.709551615"})", "SOL", "USDC",
       18'446'744'073'709'551'615u, 50},
      {"type market", R"({"type":"market","inputToken":"SOL","outputToken":"USDC","amount":10})", "SOL", "USDC",
       10'000'000'000u, 50},
      {"lower-case token symbols", R"({"inputToken":"sol","outputToken":"usdc","amount":10})", "SOL", "USDC",
       10'000'000'000u, 50},
      {"mixed-case token symbols", R"({"inputToken":"Bonk","outputToken":"wIf","amount":"100"})", "BONK", "WIF",
       10'000'000u, 50},
  };

  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + ": " + c.body);
    const auto r = try_parse(c.body);
    if (!r) continue;
    ASSERT_TRUE(r->has_value()) << "rejected with code=" << r->error().code << " field=" << r->error().field
                                << " message=" << r->error().message;
    const SubmitRequest& req = **r;
    EXPECT_EQ(req.order_type, core::OrderType::market);
    ASSERT_TRUE(req.input);
    ASSERT_TRUE(req.output);
    EXPECT_EQ(req.input.symbol(), c.input);
    EXPECT_EQ(req.output.symbol(), c.output);
    EXPECT_EQ(req.amount.base, c.amount_base);
    EXPECT_EQ(req.slippage_bps, c.slippage_bps);
  }
}

// ---------------------------------------------------------------------------
// Fingerprint
// ---------------------------------------------------------------------------

std::string fingerprint_of(std::string_view text) {
  const auto r = try_parse(text);
  if (!r) return "<threw>";
  EXPECT_TRUE(r->has_value()) << text;
  if (!r->has_value()) return "<rejected: " + r->error().code + ">";
  return (*r)->fingerprint();
}

TEST(SubmitRequestFingerprint, EqualForEqualRequestsWrittenWithDifferentAliases) {
  const std::string a =
      fingerprint_of(R"({"type":"market","inputToken":"SOL","outputToken":"USDC","amount":1.5,"slippage":0.01})");
  const std::string b =
      fingerprint_of(R"({"order_type":"market","tokenIn":"sol","tokenOut":"usdc","amountIn":"1.5","slippageBps":100})");
  const std::string c = fingerprint_of(
      R"({"token_in":"Sol","token_out":"Usdc","amount_in":"1500000000e-9","max_slippage":"0.0100"})");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

TEST(SubmitRequestFingerprint, DefaultSlippageEqualsExplicitFiftyBps) {
  EXPECT_EQ(fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":1})"),
            fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":50})"));
}

TEST(SubmitRequestFingerprint, DiffersWhenAnyFieldDiffers) {
  const std::string base = fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":50})");
  EXPECT_NE(base, fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":2,"slippageBps":50})"));
  EXPECT_NE(base,
            fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":"1.000000001","slippageBps":50})"));
  EXPECT_NE(base, fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":51})"));
  EXPECT_NE(base, fingerprint_of(R"({"inputToken":"SOL","outputToken":"USDT","amount":1,"slippageBps":50})"));
  EXPECT_NE(base, fingerprint_of(R"({"inputToken":"USDC","outputToken":"SOL","amount":1,"slippageBps":50})"));
}

// ---------------------------------------------------------------------------
// Invalid bodies
// ---------------------------------------------------------------------------

struct InvalidCase {
  const char* name;
  const char* body;
  const char* code;
  const char* field;
};

// Each body is refused with 400, its code and its field, and a message.
void expect_each_refused(std::span<const InvalidCase> cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + ": " + c.body);
    const auto r = try_parse(c.body);
    if (!r) continue;
    if (r->has_value()) {
      ADD_FAILURE() << "accepted; fingerprint " << (*r)->fingerprint();
      continue;
    }
    const ApiError& e = r->error();
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, c.code) << "message: " << e.message;
    EXPECT_EQ(e.field, c.field) << "message: " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(ParseSubmit, RejectsInvalidBodies) {
  const InvalidCase cases[] = {
      // Shape of the body.
      {"body is an array", R"([{"inputToken":"SOL","outputToken":"USDC","amount":1}])", "invalid_body", ""},
      {"body is a string", R"("SOL->USDC")", "invalid_body", ""},
      {"body is null", R"(null)", "invalid_body", ""},
      {"body is a number", R"(42)", "invalid_body", ""},

      // Missing fields.
      {"missing inputToken", R"({"outputToken":"USDC","amount":1})", "missing_field", "inputToken"},
      {"missing outputToken", R"({"inputToken":"SOL","amount":1})", "missing_field", "outputToken"},
      {"missing amount", R"({"inputToken":"SOL","outputToken":"USDC"})", "missing_field", "amount"},
      {"empty object", R"({})", "missing_field", "inputToken"},

      // Unknown and conflicting fields.
      {"unknown field foo", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"foo":1})", "unknown_field",
       "foo"},
      {"unknown field, near-miss spelling", R"({"inputtoken":"SOL","outputToken":"USDC","amount":1})",
       "unknown_field", "inputtoken"},
      {"inputToken and tokenIn", R"({"inputToken":"SOL","tokenIn":"SOL","outputToken":"USDC","amount":1})",
       "conflicting_fields", "tokenIn"},
      {"tokenOut and token_out", R"({"inputToken":"SOL","tokenOut":"USDC","token_out":"USDC","amount":1})",
       "conflicting_fields", "token_out"},
      {"amount and amountIn", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"amountIn":1})",
       "conflicting_fields", "amountIn"},
      {"type and orderType",
       R"({"type":"market","orderType":"market","inputToken":"SOL","outputToken":"USDC","amount":1})",
       "conflicting_fields", "orderType"},
      {"slippage and max_slippage",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.01,"max_slippage":0.01})",
       "conflicting_fields", "max_slippage"},

      // Tokens.
      {"unknown input token DOGE", R"({"inputToken":"DOGE","outputToken":"USDC","amount":1})", "unknown_token",
       "inputToken"},
      {"unknown output token DOGE", R"({"inputToken":"SOL","outputToken":"DOGE","amount":1})", "unknown_token",
       "outputToken"},
      {"empty token symbol", R"({"inputToken":"","outputToken":"USDC","amount":1})", "unknown_token", "inputToken"},
      {"input token not a string", R"({"inputToken":123,"outputToken":"USDC","amount":1})", "invalid_token",
       "inputToken"},
      {"output token not a string", R"({"inputToken":"SOL","outputToken":123,"amount":1})", "invalid_token",
       "outputToken"},
      {"token null", R"({"inputToken":null,"outputToken":"USDC","amount":1})", "invalid_token", "inputToken"},
      {"same input and output token", R"({"inputToken":"SOL","outputToken":"SOL","amount":1})", "same_token",
       "outputToken"},
      {"same token differing only in case", R"({"inputToken":"SOL","outputToken":"sol","amount":1})", "same_token",
       "outputToken"},

      // Amount.
      {"amount 0", R"({"inputToken":"SOL","outputToken":"USDC","amount":0})", "invalid_amount", "amount"},
      {"amount 0.0", R"({"inputToken":"SOL","outputToken":"USDC","amount":0.0})", "invalid_amount", "amount"},
      {"amount \"0\"", R"({"inputToken":"SOL","outputToken":"USDC","amount":"0"})", "invalid_amount", "amount"},
      {"amount -1", R"({"inputToken":"SOL","outputToken":"USDC","amount":-1})", "invalid_amount", "amount"},
      {"amount -0.5", R"({"inputToken":"SOL","outputToken":"USDC","amount":-0.5})", "invalid_amount", "amount"},
      {"amount \"abc\"", R"({"inputToken":"SOL","outputToken":"USDC","amount":"abc"})", "invalid_amount", "amount"},
      {"amount empty string", R"({"inputToken":"SOL","outputToken":"USDC","amount":""})", "invalid_amount", "amount"},
      {"amount \"1e400\"", R"({"inputToken":"SOL","outputToken":"USDC","amount":"1e400"})", "invalid_amount",
       "amount"},
      {"amount 1e400 (JSON number, decodes to infinity)", R"({"inputToken":"SOL","outputToken":"USDC","amount":1e400})",
       "invalid_amount", "amount"},
      {"amount true", R"({"inputToken":"SOL","outputToken":"USDC","amount":true})", "invalid_amount", "amount"},
      {"amount null", R"({"inputToken":"SOL","outputToken":"USDC","amount":null})", "invalid_amount", "amount"},
      {"amount {}", R"({"inputToken":"SOL","outputToken":"USDC","amount":{}})", "invalid_amount", "amount"},
      {"amount []", R"({"inputToken":"SOL","outputToken":"USDC","amount":[1]})", "invalid_amount", "amount"},
      {"amount 10 decimals for SOL", R"({"inputToken":"SOL","outputToken":"USDC","amount":"0.0000000001"})",
       "invalid_amount", "amount"},
      {"amount 7 decimals for USDC (JSON double)", R"({"inputToken":"USDC","outputToken":"SOL","amount":0.0000001})",
       "invalid_amount", "amount"},
      {"amount one above max uint64 base units",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":"18446744073.709551616"})", "invalid_amount", "amount"},
      {"amount \"1.2.3\"", R"({"inputToken":"SOL","outputToken":"USDC","amount":"1.2.3"})", "invalid_amount",
       "amount"},

      // Fractional slippage.
      {"slippage -0.1", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":-0.1})",
       "invalid_slippage", "slippage"},
      {"slippage 0.6", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.6})", "invalid_slippage",
       "slippage"},
      {"slippage 0.5001 just above max", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":"0.5001"})",
       "invalid_slippage", "slippage"},
      {"slippage \"0.00001\" too precise",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":"0.00001"})", "invalid_slippage",
       "slippage"},
      {"slippage \"x\"", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":"x"})", "invalid_slippage",
       "slippage"},
      {"slippage true", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":true})",
       "invalid_slippage", "slippage"},
      {"slippage 1e10 (too large)", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":1e10})",
       "invalid_slippage", "slippage"},

      // Slippage in basis points.
      {"slippageBps 5001", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":5001})",
       "invalid_slippage", "slippageBps"},
      {"slippageBps -1", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":-1})",
       "invalid_slippage", "slippageBps"},
      {"slippageBps 1.5", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":1.5})",
       "invalid_slippage", "slippageBps"},
      {"slippageBps as string", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":"25"})",
       "invalid_slippage", "slippageBps"},
      {"slippageBps 2^63 (decodes as uint64)",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippageBps":9223372036854775808})",
       "invalid_slippage", "slippageBps"},
      {"both slippage and slippageBps",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.01,"slippageBps":100})",
       "conflicting_fields", "slippageBps"},

      // Order type.
      {"limit without a floor", R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1})",
       "missing_field", "minAmountOut"},
      {"limit with both floors",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"limitPrice":1})",
       "conflicting_fields", "limitPrice"},
      {"limit with a slippage",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"slippage":0.01})",
       "field_not_for_type", "slippage"},
      {"limit floor too precise",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":"1.0000001"})",
       "invalid_min_amount_out", "minAmountOut"},
      {"limit floor zero", R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":0})",
       "invalid_min_amount_out", "minAmountOut"},
      {"limit price negative",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":"-150"})",
       "invalid_limit_price", "limitPrice"},
      {"limit price huge",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":10000000,"limitPrice":"10000000"})",
       "invalid_limit_price", "limitPrice"},
      {"limit expiry in the past",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"expiresAt":1000})",
       "invalid_expiry", "expiresAt"},
      {"limit expiry too far",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"expiresAt":"2099-01-01T00:00:00Z"})",
       "invalid_expiry", "expiresAt"},
      {"limit expiry not a time",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"expiresAt":"tomorrow"})",
       "invalid_expiry", "expiresAt"},
      {"market with a floor", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1})",
       "field_not_for_type", "minAmountOut"},
      {"market with an expiry", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"expiresAt":1})",
       "field_not_for_type", "expiresAt"},
      {"type sniper naming an output", R"({"type":"sniper","inputToken":"SOL","outputToken":"USDC","amount":1})",
       "field_not_for_type", "outputToken"},
      {"type banana", R"({"type":"banana","inputToken":"SOL","outputToken":"USDC","amount":1})", "invalid_type",
       "type"},
      {"type not a string", R"({"type":1,"inputToken":"SOL","outputToken":"USDC","amount":1})", "invalid_type",
       "type"},
      {"order_type alias limit", R"({"order_type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1})",
       "missing_field", "minAmountOut"},
  };

  expect_each_refused(cases);
}

TEST(ParseSubmit, MessagesNameTheProblem) {
  const auto too_precise = try_parse(R"({"inputToken":"SOL","outputToken":"USDC","amount":"0.0000000001"})");
  ASSERT_TRUE(too_precise.has_value());
  ASSERT_FALSE(too_precise->has_value());
  EXPECT_NE(too_precise->error().message.find("9 decimal places"), std::string::npos)
      << too_precise->error().message;
  EXPECT_NE(too_precise->error().message.find("SOL"), std::string::npos) << too_precise->error().message;

  const auto unknown = try_parse(R"({"inputToken":"DOGE","outputToken":"USDC","amount":1})");
  ASSERT_TRUE(unknown.has_value());
  ASSERT_FALSE(unknown->has_value());
  EXPECT_NE(unknown->error().message.find("DOGE"), std::string::npos) << unknown->error().message;
  EXPECT_NE(unknown->error().message.find("USDC"), std::string::npos) << unknown->error().message;
}

// ---------------------------------------------------------------------------
// number_text
// ---------------------------------------------------------------------------

TEST(NumberText, RendersDoublesInShortestRoundTripForm) {
  struct Case {
    const char* json;
    const char* text;
  };
  const Case cases[] = {
      {"0.1", "0.1"},   {"1.5", "1.5"},         {"10", "10"},
      {"-1", "-1"},     {"\"1.50\"", "1.50"}, {"18446744073709551615", "18446744073709551615"},
      {"1e-05", "0.00001"}, {"2.5E3", "2500"},  // no exponent: the amount parser reads plain decimals
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    const auto r = number_text(boost::json::parse(c.json), "amount");
    ASSERT_TRUE(r.has_value()) << r.error().code;
    EXPECT_EQ(*r, c.text);
  }
  const auto bad = number_text(boost::json::parse("false"), "slippage");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "invalid_slippage");
  EXPECT_EQ(bad.error().field, "slippage");
}

// A JSON number is a double: its digits past what oee keeps are cut toward
// the client's safety (amount, slippage and maxPrice down; minAmountOut and
// limitPrice up), where the same digits as a string are refused.
TEST(ParseSubmit, AJsonNumberIsRoundedTowardTheClientsSafetyAndAStringIsExact) {
  const auto parsed = [](std::string_view body) {
    auto r = try_parse(body);
    EXPECT_TRUE(r && r->has_value()) << body << ": " << (r && !r->has_value() ? r->error().message : "");
    return r && r->has_value() ? **r : SubmitRequest{};
  };
  // Reference client 003: amount = Math.random() * 20 + 1, slippage 0.012345678901234567.
  const auto market = parsed(R"({"inputToken":"SOL","outputToken":"USDC","amount":13.456789012345678,
                                  "slippage":0.012345678901234567})");
  EXPECT_EQ(market.amount.base, 13'456'789'012u) << "down to SOL's 9 decimals: never spends more";
  EXPECT_EQ(market.slippage_bps, 123u) << "down to whole basis points: never looser";
  EXPECT_TRUE(market.numbers);
  const auto exact = parsed(R"({"inputToken":"SOL","outputToken":"USDC","amount":"13.456789012"})");
  EXPECT_FALSE(exact.numbers);
  for (const char* body : {R"({"inputToken":"SOL","outputToken":"USDC","amount":"13.4567890123"})",
                           R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":"0.012345"})",
                           R"({"inputToken":"SOL","outputToken":"USDC","amount":0.0000000001})",
                           R"({"inputToken":"SOL","outputToken":"USDC","amount":-1.5})",
                           R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.51})"}) {
    const auto r = try_parse(body);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value()) << body << ": a too-precise string, a number that rounds to 0, out of range";
  }
  // Floors round up: 1.0000001 USDC (6 decimals) is 1.000001.
  const auto limit = parsed(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,
                                 "minAmountOut":1.0000001})");
  EXPECT_EQ(limit.min_amount_out.base, 1'000'001u);
  const auto at_price = parsed(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,
                                    "limitPrice":150.0000000000001})");
  const auto at_round_price = parsed(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,
                                          "limitPrice":"150"})");
  // Cut down, the price would be 150 exactly; up, a least unit more, which
  // a floor in USDC's 6 decimals (rounded up too) shows.
  EXPECT_GT(at_price.min_amount_out.base, at_round_price.min_amount_out.base) << "never below the price asked";
  // A sniper's maxPrice is a ceiling: down, so its floor (tokens for the amount) is never lower.
  const auto sniper = parsed(R"({"type":"sniper","targetToken":"ROUNDME","amount":1,"maxPrice":0.0010000000000001})");
  const auto sniper_exact = parsed(R"({"type":"sniper","targetToken":"ROUNDME","amount":1,"maxPrice":"0.001"})");
  EXPECT_EQ(sniper.min_amount_out.base, sniper_exact.min_amount_out.base);
}

// ---------------------------------------------------------------------------
// error_body
// ---------------------------------------------------------------------------

TEST(ErrorBody, SerialisesCodeMessageAndField) {
  EXPECT_EQ(error_body(ApiError{400, "invalid_amount", "amount must be greater than zero", "amount"}),
            R"({"error":{"code":"invalid_amount","message":"amount must be greater than zero","field":"amount"}})");
}

TEST(ErrorBody, EmptyFieldIsNull) {
  EXPECT_EQ(error_body(ApiError{400, "invalid_body", "the body must be a JSON object", ""}),
            R"({"error":{"code":"invalid_body","message":"the body must be a JSON object","field":null}})");
}

TEST(ErrorBody, EscapesMessageText) {
  const std::string body = error_body(ApiError{400, "unknown_field", "unknown field 'a\"b'", "a\"b"});
  const auto v = boost::json::parse(body);
  EXPECT_EQ(v.at("error").at("message").as_string(), "unknown field 'a\"b'");
  EXPECT_EQ(v.at("error").at("field").as_string(), "a\"b");
}

}  // namespace
TEST(ParseSubmit, ALimitOrderTakesAFloorOrAPriceAndAnExpiry) {
  const TimestampNs now{1'800'000'000'000'000'000};
  auto by_floor = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"2","minAmountOut":"330.5",)"
                  R"("expiresAt":1800000060000})"),
      now);
  ASSERT_TRUE(by_floor.has_value()) << by_floor.error().message;
  EXPECT_EQ(by_floor->order_type, core::OrderType::limit);
  EXPECT_EQ(by_floor->min_amount_out.base, 330'500'000u);
  EXPECT_EQ(by_floor->expires_at.value, 1'800'000'060'000'000'000);
  EXPECT_TRUE(by_floor->expiry_given);

  // limitPrice is output per input: 2 SOL at 165.25 USDC ask 330.5 USDC.
  auto by_price = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"limitPrice":"165.25"})"), now);
  ASSERT_TRUE(by_price.has_value()) << by_price.error().message;
  EXPECT_EQ(by_price->min_amount_out.base, 330'500'000u);
  EXPECT_EQ(by_price->expires_at.value, now.value + kDefaultExpiryNs) << "a day by default";
  EXPECT_FALSE(by_price->expiry_given);

  // expiresAt null is the default.
  auto null_expiry = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"limitPrice":1,)"
                         R"("expiresAt":null})"),
      now);
  ASSERT_TRUE(null_expiry.has_value()) << null_expiry.error().message;
  EXPECT_EQ(null_expiry->expires_at.value, now.value + kDefaultExpiryNs);
  EXPECT_FALSE(null_expiry->expiry_given);

  // A price whose floor falls between base units rounds up: never less
  // than the price asked. 1 lamport of SOL at 150 USDC is 0.00000015 USDC.
  auto rounded = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"0.000000001","limitPrice":150})"),
      now);
  ASSERT_TRUE(rounded.has_value()) << rounded.error().message;
  EXPECT_EQ(rounded->min_amount_out.base, 1u);

  // An RFC 3339 expiry; the default expiry is not part of the fingerprint
  // (a replay gets another default), a given one is.
  auto dated = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"limitPrice":"165.25",)"
                  R"("expiresAt":"2027-01-16T08:00:00Z"})"),
      now);
  ASSERT_TRUE(dated.has_value()) << dated.error().message;
  EXPECT_NE(dated->fingerprint(), by_price->fingerprint());
  auto later = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"limitPrice":"165.25"})"),
      TimestampNs{now.value + 1'000'000'000});
  ASSERT_TRUE(later.has_value()) << later.error().message;
  EXPECT_EQ(later->fingerprint(), by_price->fingerprint());
  // A price and the floor it makes are the same order.
  auto same_floor = parse_submit(
      boost::json::parse(R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"minAmountOut":"330.5"})"),
      now);
  ASSERT_TRUE(same_floor.has_value()) << same_floor.error().message;
  EXPECT_EQ(same_floor->fingerprint(), by_price->fingerprint());
}

TEST(AmountAtPrice, RoundsUpAndRefusesWhatDoesNotFit) {
  EXPECT_EQ(core::amount_at_price(core::Amount{1'000'000'000}, 9, 150'000'000'000'000, 6)->base, 150'000'000u);
  EXPECT_EQ(core::amount_at_price(core::Amount{1}, 9, 1, 6)->base, 1u);  // a tiny price still asks 1 unit
  EXPECT_EQ(core::amount_at_price(core::Amount{1'000'000}, 6, 1'000'000'000'000, 9)->base, 1'000'000'000u);
  EXPECT_EQ(core::amount_at_price(core::Amount{UINT64_MAX}, 0, UINT64_MAX, 0).error(), core::AmountError::too_large);
  EXPECT_EQ(core::amount_at_price(core::Amount{0}, 9, 1, 6).error(), core::AmountError::not_positive);
}

// ---------------------------------------------------------------------------
// Sniper orders
// ---------------------------------------------------------------------------

namespace {

constexpr TimestampNs kSniperNow{1'800'000'000'000'000'000};

boost::system::result<SubmitRequest, ApiError> parse_sniper(std::string_view text) {
  return parse_submit(boost::json::parse(text), kSniperNow);
}

}  // namespace

TEST(ParseSubmitSniper, AValidSniperWithAMaxPrice) {
  // maxPrice is SOL per NEWCOIN: 1 SOL at no more than 0.000001 SOL asks
  // 10^6 whole NEWCOIN (6 decimals), 10^12 base units.
  const auto r = parse_sniper(R"({"type":"sniper","targetToken":"newcoin","amount":"1","maxPrice":"0.000001"})");
  ASSERT_TRUE(r.has_value()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->order_type, core::OrderType::sniper);
  EXPECT_TRUE(r->input == core::token_id("SOL")) << "SOL by default";
  ASSERT_TRUE(r->output);
  EXPECT_EQ(r->output.symbol(), "NEWCOIN");
  EXPECT_EQ(r->output.decimals(), core::kNewTokenDecimals);
  EXPECT_EQ(r->output.decimals(), 6);
  EXPECT_FALSE(r->output.listed());
  EXPECT_EQ(r->amount.base, 1'000'000'000u);
  EXPECT_EQ(r->min_amount_out.base, 1'000'000'000'000u);
  EXPECT_TRUE(r->checks.require_mint_renounced);
  EXPECT_TRUE(r->checks.require_no_freeze);
  EXPECT_EQ(r->checks.min_liquidity.base, 0u);
  EXPECT_EQ(r->slippage_bps, 0u);
  EXPECT_EQ(r->expires_at.value, kSniperNow.value + kDefaultExpiryNs);
  EXPECT_FALSE(r->expiry_given);
  // The target is named now: it parses, in any case, to the same token.
  const auto parsed = core::TokenId::parse("NewCoin");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(*parsed == r->output);
}

TEST(ParseSubmitSniper, FloorsFromAMaxPriceRoundUpAndMinAmountOutIsInTheTargetsDecimals) {
  // 1 SOL at 3 SOL per token: a third of a token, 333'333.33... base units.
  const auto third = parse_sniper(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":3})");
  ASSERT_TRUE(third.has_value()) << third.error().message;
  EXPECT_EQ(third->min_amount_out.base, 333'334u);

  // 1 lamport at 1'000 SOL per token: never a floor of zero.
  const auto dust =
      parse_sniper(R"({"type":"sniper","targetToken":"NEWCOIN","amount":"0.000000001","maxPrice":"1000"})");
  ASSERT_TRUE(dust.has_value()) << dust.error().message;
  EXPECT_EQ(dust->min_amount_out.base, 1u);

  const auto floor = parse_sniper(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"minAmountOut":"1000.5"})");
  ASSERT_TRUE(floor.has_value()) << floor.error().message;
  EXPECT_EQ(floor->min_amount_out.base, 1'000'500'000u);

  // Paying with USDC: 2 USDC at 0.5 USDC per token ask 4 tokens.
  const auto usdc =
      parse_sniper(R"({"type":"sniper","inputToken":"usdc","targetToken":"NEWCOIN","amount":2,"maxPrice":"0.5"})");
  ASSERT_TRUE(usdc.has_value()) << usdc.error().message;
  EXPECT_TRUE(usdc->input == core::token_id("USDC"));
  EXPECT_EQ(usdc->amount.base, 2'000'000u);
  EXPECT_EQ(usdc->min_amount_out.base, 4'000'000u);

  const auto dated = parse_sniper(
      R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"expiresAt":1800000060000})");
  ASSERT_TRUE(dated.has_value()) << dated.error().message;
  EXPECT_EQ(dated->expires_at.value, 1'800'000'060'000'000'000);
  EXPECT_TRUE(dated->expiry_given);

  const auto snake = parse_sniper(
      R"({"order_type":"sniper","token_in":"SOL","target_token":"NEWCOIN","amount_in":1,"max_price":"0.000001"})");
  ASSERT_TRUE(snake.has_value()) << snake.error().message;
  EXPECT_TRUE(snake->snake_case);
  EXPECT_EQ(snake->order_type, core::OrderType::sniper);
  EXPECT_EQ(snake->output.symbol(), "NEWCOIN");
  EXPECT_EQ(snake->min_amount_out.base, 1'000'000'000'000u);
}

TEST(ParseSubmitSniper, ParsesChecks) {
  const auto all = parse_sniper(
      R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,)"
      R"("checks":{"requireMintRenounced":false,"requireNoFreeze":false,"minLiquidity":"12.5"}})");
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_FALSE(all->checks.require_mint_renounced);
  EXPECT_FALSE(all->checks.require_no_freeze);
  EXPECT_EQ(all->checks.min_liquidity.base, 12'500'000'000u) << "12.5 SOL";

  const auto number = parse_sniper(
      R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":12.5}})");
  ASSERT_TRUE(number.has_value()) << number.error().message;
  EXPECT_TRUE(number->checks.require_mint_renounced);
  EXPECT_TRUE(number->checks.require_no_freeze);
  EXPECT_EQ(number->checks.min_liquidity.base, 12'500'000'000u);

  // Zero is no minimum, as leaving it out is.
  const auto zero = parse_sniper(
      R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":0}})");
  ASSERT_TRUE(zero.has_value()) << zero.error().message;
  EXPECT_EQ(zero->checks.min_liquidity.base, 0u);

  // minLiquidity is in the input token's units.
  const auto usdc = parse_sniper(
      R"({"type":"sniper","inputToken":"USDC","targetToken":"NEWCOIN","amount":1,"maxPrice":1,)"
      R"("checks":{"minLiquidity":"12.5"}})");
  ASSERT_TRUE(usdc.has_value()) << usdc.error().message;
  EXPECT_EQ(usdc->checks.min_liquidity.base, 12'500'000u);

  const auto one = parse_sniper(
      R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"requireNoFreeze":false}})");
  ASSERT_TRUE(one.has_value()) << one.error().message;
  EXPECT_TRUE(one->checks.require_mint_renounced);
  EXPECT_FALSE(one->checks.require_no_freeze);
  EXPECT_EQ(one->checks.min_liquidity.base, 0u);

  for (const char* body :
       {R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{}})",
        R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":null})"}) {
    SCOPED_TRACE(body);
    const auto r = parse_sniper(body);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->checks == core::SniperChecks{});
  }
}

TEST(ParseSubmitSniper, RejectsInvalidSniperBodies) {
  const InvalidCase cases[] = {
      // Fields of the other order types.
      {"sniper with an outputToken",
       R"({"type":"sniper","outputToken":"USDC","targetToken":"NEWCOIN","amount":1,"maxPrice":1})",
       "field_not_for_type", "outputToken"},
      {"sniper with a slippage", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"slippage":0.01})",
       "field_not_for_type", "slippage"},
      {"sniper with slippageBps", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"slippageBps":10})",
       "field_not_for_type", "slippage"},
      {"sniper with a limitPrice", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"limitPrice":1})",
       "field_not_for_type", "limitPrice"},
      {"market with a targetToken", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"targetToken":"NEWCOIN"})",
       "field_not_for_type", "targetToken"},
      {"market with checks", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"checks":{}})",
       "field_not_for_type", "checks"},
      {"market with a maxPrice", R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"maxPrice":1})",
       "field_not_for_type", "maxPrice"},
      {"limit with a maxPrice",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"maxPrice":1})", "field_not_for_type",
       "maxPrice"},
      {"limit with a targetToken",
       R"({"type":"limit","inputToken":"SOL","targetToken":"NEWCOIN","amount":1,"minAmountOut":1})",
       "field_not_for_type", "targetToken"},
      {"limit with checks",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"minAmountOut":1,"checks":{}})",
       "field_not_for_type", "checks"},

      // The target.
      {"target listed", R"({"type":"sniper","targetToken":"SOL","amount":1,"maxPrice":1})", "invalid_target",
       "targetToken"},
      {"target listed, lower case", R"({"type":"sniper","targetToken":"usdc","amount":1,"maxPrice":1})",
       "invalid_target", "targetToken"},
      {"target missing", R"({"type":"sniper","amount":1,"maxPrice":1})", "missing_field", "targetToken"},
      {"target one character", R"({"type":"sniper","targetToken":"X","amount":1,"maxPrice":1})", "invalid_token",
       "targetToken"},
      {"target eleven characters", R"({"type":"sniper","targetToken":"ELEVENCHARS","amount":1,"maxPrice":1})",
       "invalid_token", "targetToken"},
      {"target with a dash", R"({"type":"sniper","targetToken":"NEW-COIN","amount":1,"maxPrice":1})",
       "invalid_token", "targetToken"},
      {"target a number", R"({"type":"sniper","targetToken":42,"amount":1,"maxPrice":1})", "invalid_token",
       "targetToken"},
      {"target null", R"({"type":"sniper","targetToken":null,"amount":1,"maxPrice":1})", "invalid_token",
       "targetToken"},

      // The input.
      {"input unknown", R"({"type":"sniper","inputToken":"DOGE","targetToken":"NEWCOIN","amount":1,"maxPrice":1})",
       "unknown_token", "inputToken"},
      {"input not a string", R"({"type":"sniper","inputToken":1,"targetToken":"NEWCOIN","amount":1,"maxPrice":1})",
       "invalid_token", "inputToken"},
      {"amount missing", R"({"type":"sniper","targetToken":"NEWCOIN","maxPrice":1})", "missing_field", "amount"},

      // The price bound.
      {"no bound", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1})", "missing_field", "minAmountOut"},
      {"both bounds", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"minAmountOut":1})",
       "conflicting_fields", "maxPrice"},
      {"maxPrice zero", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":0})", "invalid_max_price",
       "maxPrice"},
      {"maxPrice negative", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"-1"})",
       "invalid_max_price", "maxPrice"},
      {"maxPrice not a number", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"abc"})",
       "invalid_max_price", "maxPrice"},
      {"maxPrice 13 decimals", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.0000000000001"})",
       "invalid_max_price", "maxPrice"},
      {"minAmountOut 7 decimals for a 6-decimal target",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"minAmountOut":"0.0000001"})", "invalid_min_amount_out",
       "minAmountOut"},
      {"minAmountOut zero", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"minAmountOut":0})",
       "invalid_min_amount_out", "minAmountOut"},
      {"expiry in the past", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"expiresAt":1000})",
       "invalid_expiry", "expiresAt"},

      // The checks.
      {"checks a string", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":"yes"})",
       "invalid_checks", "checks"},
      {"checks an array", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":[true]})",
       "invalid_checks", "checks"},
      {"requireNoFreeze a string",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"requireNoFreeze":"false"}})",
       "invalid_checks", "checks.requireNoFreeze"},
      {"requireMintRenounced a number",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"requireMintRenounced":1}})",
       "invalid_checks", "checks.requireMintRenounced"},
      {"minLiquidity negative",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":"-1"}})",
       "invalid_checks", "checks.minLiquidity"},
      {"minLiquidity finer than SOL",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":"0.0000000001"}})",
       "invalid_checks", "checks.minLiquidity"},
      {"minLiquidity not a number",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":"abc"}})",
       "invalid_checks", "checks.minLiquidity"},
      {"minLiquidity a boolean",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minLiquidity":true}})",
       "invalid_checks", "checks.minLiquidity"},
      {"unknown check", R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"foo":1}})",
       "unknown_field", "checks.foo"},
      {"check names are case-sensitive",
       R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":1,"checks":{"minliquidity":1}})",
       "unknown_field", "checks.minliquidity"},
  };

  expect_each_refused(cases);
}

TEST(ParseSubmitSniper, ANamedTokenIsNoInputToken) {
  // NAMEDIN is named by a valid sniper; it still cannot pay for one.
  const auto naming = parse_sniper(R"({"type":"sniper","targetToken":"NAMEDIN","amount":1,"maxPrice":1})");
  ASSERT_TRUE(naming.has_value()) << naming.error().message;
  ASSERT_NE(core::find_token("NAMEDIN"), nullptr);
  const auto paying =
      parse_sniper(R"({"type":"sniper","inputToken":"NAMEDIN","targetToken":"NEWCOIN","amount":1,"maxPrice":1})");
  ASSERT_FALSE(paying.has_value());
  EXPECT_EQ(paying.error().code, "invalid_token");
  EXPECT_EQ(paying.error().field, "inputToken");
}

TEST(ParseSubmitSniper, ARefusedBodyNamesNoToken) {
  const std::size_t named_before = core::named_token_count();
  const auto no_bound = parse_sniper(R"({"type":"sniper","targetToken":"NEVERNAMED","amount":1})");
  ASSERT_FALSE(no_bound.has_value());
  EXPECT_EQ(no_bound.error().code, "missing_field");
  const auto bad_checks =
      parse_sniper(R"({"type":"sniper","targetToken":"NEVERNAMED","amount":1,"maxPrice":1,"checks":{"foo":1}})");
  ASSERT_FALSE(bad_checks.has_value());
  EXPECT_EQ(bad_checks.error().code, "unknown_field");
  EXPECT_EQ(core::find_token("NEVERNAMED"), nullptr);
  EXPECT_EQ(core::named_token_count(), named_before);
}

TEST(SubmitRequestFingerprint, SniperChecksAndBoundArePartOfIt) {
  const std::string base =
      fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.000001"})");
  // The same order, spelled otherwise.
  EXPECT_EQ(base, fingerprint_of(R"({"type":"sniper","inputToken":"sol","targetToken":"newcoin","amount":"1",)"
                                 R"("maxPrice":"0.000001","checks":{"requireMintRenounced":true,"requireNoFreeze":true}})"));
  EXPECT_EQ(base, fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"minAmountOut":"1000000"})"))
      << "a maxPrice and the floor it makes are the same order";
  // Any check differs: another order.
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.000001",)"
                                 R"("checks":{"requireMintRenounced":false}})"));
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.000001",)"
                                 R"("checks":{"requireNoFreeze":false}})"));
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.000001",)"
                                 R"("checks":{"minLiquidity":"0.000000001"}})"));
  // So do the bound, the target and the input.
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","targetToken":"NEWCOIN","amount":1,"maxPrice":"0.000002"})"));
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","targetToken":"OTHERCOIN","amount":1,"maxPrice":"0.000001"})"));
  EXPECT_NE(base, fingerprint_of(R"({"type":"sniper","inputToken":"USDC","targetToken":"NEWCOIN","amount":1,)"
                                 R"("maxPrice":"0.000001"})"));
}

// ---------------------------------------------------------------------------
// --default-pair
// ---------------------------------------------------------------------------

namespace {

const TokenPair kSolUsdc{*core::TokenId::parse("SOL"), *core::TokenId::parse("USDC")};

boost::system::result<SubmitRequest, ApiError> parse_with_pair(std::string_view text) {
  return parse_submit(body_of(text), core::sim_now(), kSolUsdc);
}

}  // namespace

// A client written for a service that traded one pair sends only an amount.
TEST(ParseSubmitDefaultPair, AMarketOrderNamingNeitherTokenTradesThePair) {
  for (const char* body : {R"({"amount":50})", R"({"amount":50,"type":"market"})", R"({"amountIn":50})",
                           R"({"amount":"50","slippage":0.01})"}) {
    SCOPED_TRACE(body);
    const auto r = parse_with_pair(body);
    ASSERT_TRUE(r.has_value()) << r.error().code << ": " << r.error().message;
    EXPECT_EQ(r->order_type, core::OrderType::market);
    EXPECT_EQ(r->input.symbol(), "SOL");
    EXPECT_EQ(r->output.symbol(), "USDC");
    EXPECT_EQ(r->amount.base, 50'000'000'000u);
    EXPECT_FALSE(r->snake_case);
  }
  const auto snake = parse_with_pair(R"({"amount_in":50,"order_type":"market","max_slippage":0.02})");
  ASSERT_TRUE(snake.has_value()) << snake.error().message;
  EXPECT_TRUE(snake->snake_case) << "answered in its spelling";
  EXPECT_EQ(snake->input.symbol(), "SOL");
  EXPECT_EQ(snake->output.symbol(), "USDC");
  EXPECT_EQ(snake->slippage_bps, 200u);
}

TEST(ParseSubmitDefaultPair, ADefaultedOrderIsTheOrderThatNamesThePair) {
  const auto defaulted = parse_with_pair(R"({"amount":50})");
  const auto named = parse_submit(body_of(R"({"inputToken":"SOL","outputToken":"USDC","amount":50})"));
  ASSERT_TRUE(defaulted.has_value() && named.has_value());
  EXPECT_EQ(defaulted->fingerprint(), named->fingerprint()) << "one Idempotency-Key may carry either";
  EXPECT_NE(defaulted->fingerprint(), fingerprint_of(R"({"inputToken":"USDC","outputToken":"SOL","amount":50})"));
}

TEST(ParseSubmitDefaultPair, TokensTheBodyNamesAreTheOrders) {
  for (const char* body : {R"({"inputToken":"USDC","outputToken":"SOL","amount":50})",
                           R"({"tokenIn":"USDC","tokenOut":"SOL","amount":50})",
                           R"({"token_in":"USDC","token_out":"SOL","amount_in":50})"}) {
    SCOPED_TRACE(body);
    const auto r = parse_with_pair(body);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->input.symbol(), "USDC");
    EXPECT_EQ(r->output.symbol(), "SOL");
  }
  // A sniper names its own target; its input's default stays SOL.
  const auto sniper = parse_submit(body_of(R"({"type":"sniper","targetToken":"PAIRTEST","amount":1,"maxPrice":1})"),
                                   core::sim_now(), TokenPair{*core::TokenId::parse("USDC"), *core::TokenId::parse("SOL")});
  ASSERT_TRUE(sniper.has_value()) << sniper.error().message;
  EXPECT_EQ(sniper->input.symbol(), "SOL");
  EXPECT_EQ(sniper->output.symbol(), "PAIRTEST");
}

TEST(ParseSubmitDefaultPair, HalfAPairOrAnotherTypeWithoutOneIsStillRefused) {
  struct Case {
    const char* body;
    const char* field;  // the missing one
  };
  for (const auto& [body, field] : {Case{R"({"inputToken":"SOL","amount":50})", "outputToken"},
                                    Case{R"({"tokenIn":"USDC","amount":50})", "outputToken"},
                                    Case{R"({"token_in":"SOL","amount_in":50})", "outputToken"},
                                    Case{R"({"outputToken":"USDC","amount":50})", "inputToken"},
                                    Case{R"({"token_out":"USDC","amount_in":50})", "inputToken"},
                                    Case{R"({"type":"limit","amount":1,"limitPrice":150})", "inputToken"},
                                    Case{R"({"type":"recurring","amount":10,"slices":2,"interval":60})", "inputToken"}}) {
    SCOPED_TRACE(body);
    const auto r = parse_with_pair(body);
    ASSERT_FALSE(r.has_value()) << "accepted as " << r->input.symbol() << "/" << r->output.symbol();
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, "missing_field");
    EXPECT_EQ(r.error().field, field);
    EXPECT_NE(r.error().message.find("SOL/USDC"), std::string::npos) << "names the default: " << r.error().message;
  }
  // The rest of the body is checked as ever.
  const auto no_amount = parse_with_pair(R"({})");
  ASSERT_FALSE(no_amount.has_value());
  EXPECT_EQ(no_amount.error().field, "amount");
  const auto negative = parse_with_pair(R"({"amount":-1})");
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, "invalid_amount");
}

TEST(ParseSubmitDefaultPair, WithoutOneABodyNamingNoTokenIsRefused) {
  const auto r = parse_submit(body_of(R"({"amount":50})"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "missing_field");
  EXPECT_EQ(r.error().field, "inputToken");
}

TEST(TokenPairText, ReadsTwoListedTokensBothVenuesPool) {
  const auto pair = parse_token_pair("sol/Usdc");
  ASSERT_TRUE(pair.has_value()) << pair.error();
  EXPECT_EQ(pair_name(*pair), "SOL/USDC");
  for (const char* bad : {"SOL", "SOL/USDC/X", "", "/", "SOL/NOPE", "SOL/SOL", "BONK/JUP", "SOL /USDC"}) {
    SCOPED_TRACE(bad);
    const auto refused = parse_token_pair(bad);
    ASSERT_FALSE(refused.has_value());
    EXPECT_FALSE(refused.error().empty());
  }
  // Not a launched token's either: the pair must trade from the first order.
  ASSERT_TRUE(core::TokenId::name("PAIRNEW"));
  EXPECT_FALSE(parse_token_pair("PAIRNEW/SOL").has_value());
}

}  // namespace oee::api
