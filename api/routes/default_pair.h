#pragma once
// --default-pair: the pair a market order trades when its body names
// neither token. There is none unless the operator gives one: an engine
// that moves funds does not guess what a client meant to trade, but a
// deployment serving clients that never name a pair (they were written for
// a service that traded one) may say which it is.

#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "core/domain/tokens.h"

namespace oee::api {

struct TokenPair {
  core::TokenId input;
  core::TokenId output;
};

/// "IN/OUT", symbols in any case ("SOL/USDC", "sol/usdc"): two different
/// listed tokens that both venues pool together. The error is a sentence for
/// the operator saying what is wrong with `text`.
[[nodiscard]] boost::system::result<TokenPair, std::string> parse_token_pair(std::string_view text);

/// "SOL/USDC": what parse_token_pair reads back.
[[nodiscard]] std::string pair_name(const TokenPair& pair);

}  // namespace oee::api
