#include "core/engine/sim_launches.h"

#include <pthread.h>

#include <array>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace oee::core {

namespace {

constexpr std::array<std::string_view, 10> kNames{"PEPE", "MOON", "FROG", "CAT", "DOGE",
                                                  "APE",  "ZAP",  "NOVA", "GLOW", "BOLT"};

}  // namespace

SimLaunches::SimLaunches(MarketChanges& launches, std::chrono::milliseconds every, std::optional<std::uint64_t> seed)
    : launches_(launches), every_(every), rng_(seed ? *seed : std::random_device{}()) {}

SimLaunches::~SimLaunches() { stop(); }

std::string SimLaunches::name_of(std::uint64_t n) {
  return fmt::format("{}{}", kNames[n % kNames.size()], n / kNames.size() + 1);
}

void SimLaunches::start() {
  if (every_.count() <= 0 || thread_.joinable()) return;
  ioc_.restart();
  work_.emplace(ioc_.get_executor());
  schedule();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oee-sim-launch");
    ioc_.run();
  });
}

void SimLaunches::stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  ioc_.stop();
  thread_.join();
  timer_.cancel();
}

void SimLaunches::schedule() {
  const auto wait = std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(every_.count() / 2, every_.count() * 3 / 2)(rng_));
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    launch_one();
    schedule();
  });
}

void SimLaunches::launch_one() {
  auto chance = [&](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; };
  auto between = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_); };
  std::string symbol;
  std::optional<TokenId> token;
  do {
    symbol = name_of(launched_++);
    token = TokenId::name(symbol);
  } while (token && !launches_.market().launches_of(*token).empty());
  if (!token || token->listed()) return;
  // Most launch against SOL; liquidity and price as small new pools have
  // them (20-400 SOL, a millionth to a ten-thousandth of a SOL per token).
  const bool against_sol = chance(80);
  const TokenId quote = token_id(against_sol ? "SOL" : "USDC");
  const Amount liquidity{against_sol ? between(20, 400) * 1'000'000'000 : between(3'000, 60'000) * 1'000'000};
  const std::uint64_t price_e12 = against_sol ? between(1'000'000, 100'000'000) : between(100'000'000, 10'000'000'000);
  const auto token_reserve = amount_at_max_price(liquidity, quote.decimals(), price_e12, token->decimals());
  if (!token_reserve) return;
  const bool mint_renounced = !chance(20);
  const bool freeze_authority = chance(20);
  const bool both = chance(35);
  const Venue first = chance(50) ? Venue::raydium : Venue::meteora;
  std::vector<Launch> launches;
  for (Venue v : kAllVenues) {
    if (!both && v != first) continue;
    launches.push_back(Launch{.token = *token,
                              .quote = quote,
                              .venue = v,
                              .token_reserve = *token_reserve,
                              .quote_reserve = liquidity,
                              .mint_renounced = mint_renounced,
                              .freeze_authority = freeze_authority});
  }
  const auto launched = launches_.launch(std::move(launches));
  if (!launched) {
    spdlog::warn("sim: {} did not launch: {}", symbol, describe(launched.error()));
    return;
  }
  spdlog::info("sim: {} launched on {} against {}: liquidity {} {}, price {}{}{}", symbol,
               both ? "both venues" : venue_name(first), quote.symbol(), format_amount(liquidity, quote.decimals()),
               quote.symbol(), format_ratio(liquidity.base, quote.decimals(), token_reserve->base, token->decimals()),
               mint_renounced ? "" : ", mint not renounced", freeze_authority ? ", freeze authority" : "");
}

}  // namespace oee::core
