#include "core/engine/market_entry.h"

#include <sstream>

#include <fmt/format.h>

namespace oee::core {

namespace {

constexpr std::string_view kLaunchHead = "launch\n";

}  // namespace

std::string launch_line(const Launch& l) {
  return fmt::format("{} {} {} {} {} {} {} {} {}\n", l.number, l.token.symbol(), l.quote.symbol(), venue_name(l.venue),
                     l.token_reserve.base, l.quote_reserve.base, l.mint_renounced ? 1 : 0, l.freeze_authority ? 1 : 0,
                     l.launched_at.value);
}

std::optional<Launch> parse_launch_line(std::string_view line) {
  std::istringstream in{std::string(line)};
  Launch l;
  std::string token, quote, venue;
  int mint = -1, freeze = -1;
  std::string rest;
  if (!(in >> l.number >> token >> quote >> venue >> l.token_reserve.base >> l.quote_reserve.base >> mint >> freeze >>
        l.launched_at.value) ||
      (in >> rest) || mint < 0 || mint > 1 || freeze < 0 || freeze > 1) {
    return std::nullopt;
  }
  const auto named = TokenId::name(token);
  const auto listed = TokenId::parse(quote);
  const auto v = parse_venue(venue);
  if (!named || !listed || !v) return std::nullopt;
  l.token = *named;
  l.quote = *listed;
  l.venue = *v;
  l.mint_renounced = mint == 1;
  l.freeze_authority = freeze == 1;
  return l;
}

std::string market_entry_text(const MarketEntry& entry) {
  if (const auto* price = std::get_if<PriceSetting>(&entry)) {
    return fmt::format("price {} {} {} {}", venue_name(price->venue), price->base.symbol(), price->quote.symbol(),
                       price->price_e12);
  }
  std::string text(kLaunchHead);
  for (const Launch& l : std::get<std::vector<Launch>>(entry)) text += launch_line(l);
  return text;
}

std::optional<MarketEntry> parse_market_entry(std::string_view text) {
  if (text.starts_with(kLaunchHead)) {
    std::vector<Launch> launches;
    text.remove_prefix(kLaunchHead.size());
    while (!text.empty()) {
      const auto end = text.find('\n');
      if (end == std::string_view::npos) return std::nullopt;  // every line ends with one
      const auto launch = parse_launch_line(text.substr(0, end));
      if (!launch) return std::nullopt;
      launches.push_back(*launch);
      text.remove_prefix(end + 1);
    }
    if (launches.empty()) return std::nullopt;
    return launches;
  }
  std::istringstream in{std::string(text)};
  std::string word, venue, base, quote, rest;
  PriceSetting p;
  if (!(in >> word >> venue >> base >> quote >> p.price_e12) || (in >> rest) || word != "price") return std::nullopt;
  const auto v = parse_venue(venue);
  const auto b = TokenId::parse(base);
  const auto q = TokenId::parse(quote);
  if (!v || !b || !q) return std::nullopt;
  p.venue = *v;
  p.base = *b;
  p.quote = *q;
  return p;
}

}  // namespace oee::core
