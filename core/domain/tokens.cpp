#include "core/domain/tokens.h"

#include <array>
#include <cctype>
#include <stdexcept>
#include <string>

namespace oee::core {

namespace {
constexpr std::array<Token, 7> kTokens{{
    {"SOL", 9, 150'000'000},
    {"USDC", 6, 1'000'000},
    {"USDT", 6, 1'000'000},
    {"BONK", 5, 25},
    {"JUP", 6, 800'000},
    {"RAY", 6, 2'000'000},
    {"WIF", 6, 2'200'000},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}
}  // namespace

std::span<const Token> all_tokens() { return kTokens; }

const Token* find_token(std::string_view symbol) {
  for (const auto& t : kTokens) {
    if (iequals(t.symbol, symbol)) return &t;
  }
  return nullptr;
}

std::optional<TokenId> TokenId::parse(std::string_view symbol) {
  const Token* t = find_token(symbol);
  if (t == nullptr) return std::nullopt;
  return TokenId(*t);
}

TokenId token_id(std::string_view listed_symbol) {
  const auto id = TokenId::parse(listed_symbol);
  if (!id) throw std::invalid_argument("not a listed token: " + std::string(listed_symbol));
  return *id;
}

}  // namespace oee::core
