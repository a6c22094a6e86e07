#pragma once
// The tokens oee can trade and their decimals: the listed ones, and new
// ones named by the orders that wait for them and by launches.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

namespace oee::core {

struct Token {
  std::string_view symbol;
  int decimals;
  /// Reference price in micro-USD per whole token; seeds the simulated pools.
  std::uint64_t reference_price_micro_usd;
};

[[nodiscard]] std::span<const Token> all_tokens();
/// Case-insensitive lookup by symbol: a listed token, or a named one.
[[nodiscard]] const Token* find_token(std::string_view symbol);

/// Decimals of a token that is not listed: one a sniper waits for, or one
/// launched on the simulated market. A new token has no history to take
/// them from; 6 is what most new Solana tokens use.
inline constexpr int kNewTokenDecimals = 6;
/// Whether `symbol` could name a token: 2 to 10 ASCII letters or digits.
[[nodiscard]] bool is_token_symbol(std::string_view symbol);
/// How many tokens have been named beyond the listed ones.
[[nodiscard]] std::size_t named_token_count();

/// A token as orders and events carry it, listed or named: compared by
/// identity, written by its symbol. A default one is no token yet (an order
/// before its submission).
class TokenId {
 public:
  constexpr TokenId() = default;
  constexpr explicit TokenId(const Token& token) : token_(&token) {}
  /// The listed or already named token with this symbol, in any case;
  /// nullopt if none is (it names nothing).
  [[nodiscard]] static std::optional<TokenId> parse(std::string_view symbol);
  /// The token with this symbol, listed or not: an unknown well-formed
  /// symbol names a new token (upper case, kNewTokenDecimals), which lives
  /// as long as the process. nullopt if the symbol is not well-formed, or
  /// is new while `max_named` tokens are named already.
  [[nodiscard]] static std::optional<TokenId> name(std::string_view symbol,
                                                   std::size_t max_named = std::numeric_limits<std::size_t>::max());

  [[nodiscard]] constexpr explicit operator bool() const { return token_ != nullptr; }
  /// "" for no token. NUL-terminated: symbols are literals or strings kept
  /// for the process's life.
  [[nodiscard]] constexpr std::string_view symbol() const { return token_ != nullptr ? token_->symbol : ""; }
  [[nodiscard]] const char* c_str() const { return symbol().data(); }
  /// 0 for no token.
  [[nodiscard]] constexpr int decimals() const { return token_ != nullptr ? token_->decimals : 0; }
  /// The token; only for a set TokenId.
  [[nodiscard]] constexpr const Token& token() const { return *token_; }
  /// Whether it is one of the listed tokens (not a new one).
  [[nodiscard]] bool listed() const;

  friend constexpr bool operator==(TokenId a, TokenId b) { return a.token_ == b.token_; }

 private:
  const Token* token_ = nullptr;
};

/// The TokenId of a symbol the caller knows is listed ("SOL"); throws
/// std::invalid_argument for one that is not.
[[nodiscard]] TokenId token_id(std::string_view listed_symbol);

}  // namespace oee::core
