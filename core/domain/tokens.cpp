#include "core/domain/tokens.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

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
const Token* find_listed(std::string_view symbol) {
  for (const auto& t : kTokens) {
    if (iequals(t.symbol, symbol)) return &t;
  }
  return nullptr;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Tokens named beyond the listed ones. Entries never move or go, so a
// TokenId may point at one for the life of the process.
class NamedTokens {
 public:
  const Token* find(std::string_view symbol) const {
    const std::string key = upper(symbol);
    std::lock_guard lock(mu_);
    auto it = by_symbol_.find(key);
    return it == by_symbol_.end() ? nullptr : it->second;
  }
  // nullptr when the symbol is new and `max` are named already.
  const Token* name(std::string_view symbol, std::size_t max) {
    std::string key = upper(symbol);
    std::lock_guard lock(mu_);
    if (auto it = by_symbol_.find(key); it != by_symbol_.end()) return it->second;
    if (entries_.size() >= max) return nullptr;
    Entry& e = entries_.emplace_back();
    e.symbol = std::move(key);
    e.token = Token{e.symbol, kNewTokenDecimals, 0};
    by_symbol_.emplace(e.symbol, &e.token);
    return &e.token;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::string symbol;
    Token token{};
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  std::unordered_map<std::string_view, const Token*> by_symbol_;
};

NamedTokens& named_tokens() {
  static NamedTokens tokens;
  return tokens;
}

}  // namespace

std::span<const Token> all_tokens() { return kTokens; }

const Token* find_token(std::string_view symbol) {
  if (const Token* t = find_listed(symbol)) return t;
  return is_token_symbol(symbol) ? named_tokens().find(symbol) : nullptr;
}

bool is_token_symbol(std::string_view symbol) {
  if (symbol.size() < 2 || symbol.size() > 10) return false;
  for (char c : symbol) {
    const bool ascii_alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!ascii_alnum) return false;
  }
  return true;
}

std::size_t named_token_count() { return named_tokens().size(); }

bool TokenId::listed() const {
  return std::any_of(kTokens.begin(), kTokens.end(), [&](const Token& t) { return &t == token_; });
}

std::optional<TokenId> TokenId::name(std::string_view symbol, std::size_t max_named) {
  if (const Token* t = find_listed(symbol)) return TokenId(*t);
  if (!is_token_symbol(symbol)) return std::nullopt;
  const Token* t = named_tokens().name(symbol, max_named);
  if (t == nullptr) return std::nullopt;
  return TokenId(*t);
}

std::optional<TokenId> TokenId::parse(std::string_view symbol) {
  const Token* t = find_token(symbol);
  if (t == nullptr) return std::nullopt;
  return TokenId(*t);
}

TokenId token_id(std::string_view listed_symbol) {
  const Token* t = find_listed(listed_symbol);
  if (t == nullptr) throw std::invalid_argument("not a listed token: " + std::string(listed_symbol));
  return TokenId(*t);
}

}  // namespace oee::core
