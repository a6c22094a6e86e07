#pragma once
// The text of the simulated market's changes, as they are kept: a launch
// as one line (simchain/launches.txt, and the cluster's market stream),
// a set price as one line; readable with any tool that shows text.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/engine/market_changes.h"

namespace oee::core {

/// "<number> <token> <quote> <venue> <token reserve> <quote reserve>
///  <mint renounced 0|1> <freeze authority 0|1> <launched at, ns>\n"
[[nodiscard]] std::string launch_line(const Launch& launch);
/// A launch line without its newline; nullopt if it is not one.
[[nodiscard]] std::optional<Launch> parse_launch_line(std::string_view line);

/// One change of the cluster's market: "price <venue> <base> <quote>
/// <price e12>", or "launch\n" followed by launch lines.
using MarketEntry = std::variant<PriceSetting, std::vector<Launch>>;
[[nodiscard]] std::string market_entry_text(const MarketEntry& entry);
/// nullopt if the text is not an entry.
[[nodiscard]] std::optional<MarketEntry> parse_market_entry(std::string_view text);

}  // namespace oee::core
