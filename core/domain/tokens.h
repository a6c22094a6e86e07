#pragma once
// The tokens oee can trade and their decimals.

#include <cstdint>
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
/// Case-insensitive lookup by symbol.
[[nodiscard]] const Token* find_token(std::string_view symbol);

/// A listed token as orders and events carry it: compared by identity,
/// written by its symbol. A default one is no token yet (an order before
/// its submission).
class TokenId {
 public:
  constexpr TokenId() = default;
  constexpr explicit TokenId(const Token& token) : token_(&token) {}
  /// The listed token with this symbol, in any case; nullopt if none is.
  [[nodiscard]] static std::optional<TokenId> parse(std::string_view symbol);

  [[nodiscard]] constexpr explicit operator bool() const { return token_ != nullptr; }
  /// "" for no token. NUL-terminated: the listed symbols are literals.
  [[nodiscard]] constexpr std::string_view symbol() const { return token_ != nullptr ? token_->symbol : ""; }
  [[nodiscard]] const char* c_str() const { return symbol().data(); }
  /// 0 for no token.
  [[nodiscard]] constexpr int decimals() const { return token_ != nullptr ? token_->decimals : 0; }
  /// The listed token; only for a set TokenId.
  [[nodiscard]] constexpr const Token& token() const { return *token_; }

  friend constexpr bool operator==(TokenId a, TokenId b) { return a.token_ == b.token_; }

 private:
  const Token* token_ = nullptr;
};

/// The TokenId of a symbol the caller knows is listed ("SOL"); throws
/// std::invalid_argument for one that is not.
[[nodiscard]] TokenId token_id(std::string_view listed_symbol);

}  // namespace oee::core
