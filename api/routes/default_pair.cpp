#include "api/routes/default_pair.h"

#include <fmt/format.h>

#include "core/domain/market.h"

namespace oee::api {

boost::system::result<TokenPair, std::string> parse_token_pair(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return fmt::format("give the pair as IN/OUT, e.g. SOL/USDC (got '{}')", text);
  }
  const std::string_view sides[] = {text.substr(0, slash), text.substr(slash + 1)};
  core::TokenId tokens[2];
  for (int i = 0; i < 2; ++i) {
    const auto token = core::TokenId::parse(sides[i]);
    // Only listed tokens: a launched one is gone after a restart that
    // finds no launch of it, and the server would start with a pair it
    // cannot trade.
    if (!token || !token->listed()) {
      std::string known;
      for (const auto& t : core::all_tokens()) known += (known.empty() ? "" : ", ") + std::string(t.symbol);
      return fmt::format("unknown token '{}' in '{}'; listed tokens: {}", sides[i], text, known);
    }
    tokens[i] = *token;
  }
  if (tokens[0] == tokens[1]) {
    return fmt::format("'{}' names {} twice; a swap trades one token for another", text, tokens[0].symbol());
  }
  if (!core::is_listed_pair(tokens[0].token(), tokens[1].token())) {
    return fmt::format("no venue pools {} with {}; give a pair both venues list, e.g. SOL/USDC", tokens[0].symbol(),
                       tokens[1].symbol());
  }
  return TokenPair{tokens[0], tokens[1]};
}

std::string pair_name(const TokenPair& pair) {
  return fmt::format("{}/{}", pair.input.symbol(), pair.output.symbol());
}

}  // namespace oee::api
