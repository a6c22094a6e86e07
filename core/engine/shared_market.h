#pragma once
// The simulated market of a cluster: every launch and every price set by
// hand is an entry of the cluster's market journal, which every node
// applies in the journal's order, so every node quotes the same pools.
// A change returns once this node has applied it (a request that set a
// price is answered by a node that quotes it).
//
// Launches are numbered by the state they were decided on: one is
// appended only after the last entry this node applied, so two nodes
// launching at once do not give two launches one number; the one that
// comes second decides again.
//
// Lifecycle: start() applies what the journal holds, then follows it;
// the journal and the market must outlive it.
// Threading: launch() and set_price() from any thread; the listener runs
// on the journal's thread after each applied entry.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>

#include "core/engine/market_changes.h"
#include "eventlog/shared_journal.h"

namespace oee::core {

class SharedMarket final : public MarketChanges {
 public:
  /// `wait`: how long a change waits for the cluster before it is refused
  /// as not recorded.
  SharedMarket(Market& market, eventlog::SharedJournal& journal, std::chrono::milliseconds wait);
  ~SharedMarket() override;
  SharedMarket(const SharedMarket&) = delete;
  SharedMarket& operator=(const SharedMarket&) = delete;

  /// Applies every entry the journal holds, then follows it, calling
  /// `changed` after each entry applied. Throws std::runtime_error if the
  /// journal cannot be read up to its end within `catch_up`.
  void start(std::function<void()> changed, std::chrono::milliseconds catch_up);
  void stop();

  [[nodiscard]] const Market& market() const override { return market_; }
  boost::system::result<std::vector<Launch>, LaunchError> launch(std::vector<Launch> launches) override;
  boost::system::result<void, PriceError> set_price(const PriceSetting& setting) override;
  /// Entries applied so far (the journal's seq of the last one).
  [[nodiscard]] Seq applied() const;

 private:
  // What applying an entry came to: nothing for a good one.
  using Outcome = std::optional<LaunchError>;
  void apply(Seq seq, std::string_view text);
  // Waits until the entry at `seq` is applied; its outcome, or nullopt if
  // the wait ran out.
  std::optional<Outcome> outcome_of(Seq seq);
  bool wait_applied_past(Seq seq);

  Market& market_;
  eventlog::SharedJournal& journal_;
  const std::chrono::milliseconds wait_;
  std::function<void()> changed_;
  std::mutex launcher_mu_;  // one launch of this node's at a time
  mutable std::mutex mu_;
  std::condition_variable applied_cv_;
  Seq applied_{0};                   // under mu_
  std::map<std::uint64_t, Outcome> outcomes_;  // of the latest entries, under mu_
};

}  // namespace oee::core
