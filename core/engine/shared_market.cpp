#include "core/engine/shared_market.h"

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/domain/sim_clock.h"
#include "core/engine/market_entry.h"

namespace oee::core {

namespace {

constexpr std::size_t kOutcomesKept = 1024;
constexpr int kLaunchTries = 32;  // each refusal means another launch landed

}  // namespace

SharedMarket::SharedMarket(Market& market, eventlog::SharedJournal& journal, std::chrono::milliseconds wait)
    : market_(market), journal_(journal), wait_(wait) {}

SharedMarket::~SharedMarket() { stop(); }

void SharedMarket::start(std::function<void()> changed, std::chrono::milliseconds catch_up) {
  changed_ = std::move(changed);
  const auto last = journal_.last();
  if (!last) {
    throw std::runtime_error(fmt::format("cannot read the cluster's market: {}", last.error().message()));
  }
  journal_.start([this](Seq seq, std::string_view text) { apply(seq, text); });
  std::unique_lock lock(mu_);
  if (!applied_cv_.wait_for(lock, catch_up, [&] { return applied_ >= *last; })) {
    throw std::runtime_error(fmt::format("the cluster's market did not come in: {} of its {} changes applied",
                                         applied_.value, last->value));
  }
}

void SharedMarket::stop() { journal_.stop(); }

Seq SharedMarket::applied() const {
  std::lock_guard lock(mu_);
  return applied_;
}

// Every node applies the same entries in the same order to the same
// market, so each comes to the same outcome: an entry that does not apply
// (a token launched meanwhile) changes nothing anywhere.
void SharedMarket::apply(Seq seq, std::string_view text) {
  Outcome outcome;
  {
    std::lock_guard lock(mu_);
    const auto entry = parse_market_entry(text);
    if (!entry) {
      spdlog::warn("market change {} is not one ({} bytes); passed over", seq.value, text.size());
      outcome = LaunchError::not_recorded;
    } else if (const auto* price = std::get_if<PriceSetting>(&*entry)) {
      if (!price->base.listed() || !price->quote.listed() ||
          !market_.pin_price(price->venue, price->base.token(), price->quote.token(), price->price_e12)) {
        outcome = LaunchError::empty_pool;
      }
    } else if (const auto restored = market_.restore(std::get<std::vector<Launch>>(*entry)); !restored) {
      outcome = restored.error();
    }
    applied_ = seq;
    outcomes_[seq.value] = outcome;
    if (outcomes_.size() > kOutcomesKept) outcomes_.erase(outcomes_.begin());
  }
  applied_cv_.notify_all();
  if (changed_) changed_();
}

std::optional<SharedMarket::Outcome> SharedMarket::outcome_of(Seq seq) {
  std::unique_lock lock(mu_);
  if (!applied_cv_.wait_for(lock, wait_, [&] { return applied_ >= seq; })) return std::nullopt;
  const auto it = outcomes_.find(seq.value);
  if (it == outcomes_.end()) return std::nullopt;  // long gone: many changes came meanwhile
  return it->second;
}

bool SharedMarket::wait_applied_past(Seq seq) {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, wait_, [&] { return applied_ > seq; });
}

boost::system::result<std::vector<Launch>, LaunchError> SharedMarket::launch(std::vector<Launch> launches) {
  std::lock_guard launcher(launcher_mu_);
  for (int attempt = 0; attempt < kLaunchTries; ++attempt) {
    Seq after;
    {
      // The numbers follow the launches of the entries applied so far:
      // the append is refused if another entry came after them.
      std::lock_guard lock(mu_);
      after = applied_;
      const TimestampNs now = sim_now();
      std::uint64_t number = market_.launch_count();
      for (Launch& l : launches) {
        l.number = ++number;
        l.launched_at = now;
      }
    }
    const auto appended = journal_.append(market_entry_text(launches), after);
    if (!appended) {
      if (appended.error() != eventlog::Errc::superseded) {
        spdlog::warn("a launch was not kept by the cluster: {}", appended.error().message());
        return LaunchError::not_recorded;
      }
      if (!wait_applied_past(after)) return LaunchError::not_recorded;
      continue;  // decide again on what came meanwhile
    }
    const auto outcome = outcome_of(*appended);
    if (!outcome) return LaunchError::not_recorded;
    if (*outcome) return **outcome;
    return launches;
  }
  return LaunchError::not_recorded;
}

boost::system::result<void, PriceError> SharedMarket::set_price(const PriceSetting& setting) {
  // Checked here as every node will check it, so a refused price is not
  // kept for every node to refuse again.
  if (!setting.base.listed() || !setting.quote.listed() ||
      !market_.pool(setting.venue, setting.base.token(), setting.quote.token(), sim_time_point())) {
    return PriceError::refused;
  }
  const auto appended = journal_.append(market_entry_text(setting), std::nullopt);
  if (!appended) {
    spdlog::warn("a price was not kept by the cluster: {}", appended.error().message());
    return PriceError::not_recorded;
  }
  const auto outcome = outcome_of(*appended);
  if (!outcome) return PriceError::not_recorded;
  if (*outcome) return PriceError::refused;
  return {};
}

}  // namespace oee::core
