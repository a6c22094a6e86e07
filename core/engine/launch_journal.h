#pragma once
// The simulated market's launches on disk: a text file beside the chain's
// ledger (simchain/launches.txt), one line per launch, written and synced
// before the launch takes effect. A restart puts every launch back, with
// its number and time, so a sniper that fired on a pool finds it again
// when it resumes, and a launch is judged the same before and after.
// Prices set by hand hold until the process ends (they are a test's or a
// demo's steering, not the market's history).

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/market.h"
#include "core/engine/market_changes.h"

namespace oee::core {

class LaunchJournal final : public MarketChanges {
 public:
  /// Opens `file` (creating it) and restores its launches into `market`,
  /// which has none yet; a last line cut short by a crash is dropped.
  /// Throws std::runtime_error saying what is wrong when the file cannot
  /// be read or a whole line does not restore.
  LaunchJournal(std::filesystem::path file, Market& market);
  ~LaunchJournal() override;
  LaunchJournal(const LaunchJournal&) = delete;
  LaunchJournal& operator=(const LaunchJournal&) = delete;

  /// Launches on the market, all or none, durably: LaunchError::not_recorded
  /// (and no launch) when the file cannot take them, e.g. on a full disk.
  /// Safe to call from any thread; it waits for the disk.
  boost::system::result<std::vector<Launch>, LaunchError> launch(std::vector<Launch> launches) override;
  boost::system::result<void, PriceError> set_price(const PriceSetting& setting) override;
  [[nodiscard]] std::uint64_t restored() const { return restored_; }
  [[nodiscard]] const Market& market() const override { return market_; }

 private:
  void restore();
  bool record(std::span<const Launch> launches);

  std::filesystem::path file_;
  Market& market_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // of the file's whole lines
  std::uint64_t restored_ = 0;
};

}  // namespace oee::core
