#include "core/engine/shared_market.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/engine/market_entry.h"

namespace oee::core {
namespace {

using namespace std::chrono_literals;

// A journal in memory with the cluster's rule for a conditional append;
// each follower applies on a thread of its own, as the stream's do.
class MemoryJournal {
 public:
  eventlog::Result<Seq> append(std::string_view entry, std::optional<Seq> after) {
    std::lock_guard lock(mu_);
    if (after && after->value != entries_.size()) return std::error_code(eventlog::Errc::superseded);
    entries_.emplace_back(entry);
    grew_.notify_all();
    return Seq{entries_.size()};
  }
  Seq last() {
    std::lock_guard lock(mu_);
    return Seq{entries_.size()};
  }
  // Waits for entry `index` (0-based); nullopt once `stop` is set.
  std::optional<std::string> wait_for(std::size_t index, const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    while (index >= entries_.size()) {
      if (stop) return std::nullopt;
      grew_.wait_for(lock, 10ms);
    }
    return entries_[index];
  }

 private:
  std::mutex mu_;
  std::condition_variable grew_;
  std::vector<std::string> entries_;
};

class Follower final : public eventlog::SharedJournal {
 public:
  explicit Follower(MemoryJournal& journal) : journal_(journal) {}
  ~Follower() override { stop(); }
  eventlog::Result<Seq> append(std::string_view entry, std::optional<Seq> after) override {
    return journal_.append(entry, after);
  }
  eventlog::Result<Seq> last() override { return journal_.last(); }
  void start(Apply apply) override {
    thread_ = std::thread([this, apply] {
      for (std::size_t i = 0;; ++i) {
        const auto entry = journal_.wait_for(i, stopping_);
        if (!entry) return;
        apply(Seq{i + 1}, *entry);
      }
    });
  }
  void stop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  MemoryJournal& journal_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

Launch launch_of(std::string_view symbol) {
  return Launch{.token = *TokenId::name(symbol),
                .quote = token_id("SOL"),
                .venue = Venue::raydium,
                .token_reserve = Amount{500'000'000'000'000},
                .quote_reserve = Amount{50'000'000'000}};
}

TEST(MarketEntry, LaunchesAndPricesReadBackAsTheyWereWritten) {
  Launch l = launch_of("ENTRY1");
  l.number = 7;
  l.launched_at = TimestampNs{1'700'000'000'123'456'789};
  l.freeze_authority = true;
  Launch m = l;
  m.venue = Venue::meteora;
  m.number = 8;
  const auto launches = parse_market_entry(market_entry_text(std::vector<Launch>{l, m}));
  ASSERT_TRUE(launches);
  const auto& back = std::get<std::vector<Launch>>(*launches);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].number, 7u);
  EXPECT_EQ(back[1].venue, Venue::meteora);
  EXPECT_EQ(back[0].launched_at.value, l.launched_at.value);
  EXPECT_TRUE(back[0].freeze_authority);

  const PriceSetting p{Venue::meteora, token_id("SOL"), token_id("USDC"), 123'450'000'000'000};
  const auto price = parse_market_entry(market_entry_text(p));
  ASSERT_TRUE(price);
  EXPECT_EQ(std::get<PriceSetting>(*price).price_e12, p.price_e12);
  EXPECT_EQ(std::get<PriceSetting>(*price).venue, Venue::meteora);

  for (const std::string bad : {"", "launch\n", "price raydium SOL USDC", "price raydium SOL NOPE 5", "hello",
                                "launch\n1 X SOL raydium 1 1 0 0 5", "price raydium SOL USDC 5 6"}) {
    EXPECT_FALSE(parse_market_entry(bad)) << bad;
  }
}

// Two nodes launching at the same time: each launch is decided on every
// launch before it, so the numbers go 1, 2, 3, ... with none taken twice,
// and both markets end the same.
TEST(SharedMarket, NodesLaunchingAtOnceNumberTheirLaunchesInTurn) {
  MemoryJournal journal;
  Follower fa(journal), fb(journal);
  Market ma, mb;
  SharedMarket a(ma, fa, 5s), b(mb, fb, 5s);
  a.start({}, 5s);
  b.start({}, 5s);
  constexpr int kEach = 40;
  auto launch_many = [](SharedMarket& m, std::string_view prefix) {
    for (int i = 0; i < kEach; ++i) {
      // Two nodes launching in a tight loop can outrun one another's
      // retries; a launch refused so is tried again, as the simulator does.
      auto launched = m.launch({launch_of(std::string(prefix) + std::to_string(i))});
      for (int again = 0; again < 5 && !launched && launched.error() == LaunchError::not_recorded; ++again)
        launched = m.launch({launch_of(std::string(prefix) + std::to_string(i))});
      ASSERT_TRUE(launched) << describe(launched.error());
    }
  };
  std::thread ta([&] { launch_many(a, "SHA"); });
  std::thread tb([&] { launch_many(b, "SHB"); });
  ta.join();
  tb.join();
  // Each node has applied its own launches; the other's last ones may still
  // be on their way to it.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((a.applied() != journal.last() || b.applied() != journal.last()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(a.applied(), journal.last());
  ASSERT_EQ(b.applied(), journal.last());
  const auto la = ma.launches_after(0), lb = mb.launches_after(0);
  ASSERT_EQ(la.size(), 2u * kEach);
  ASSERT_EQ(lb.size(), la.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i].number, i + 1);
    EXPECT_EQ(la[i].token, lb[i].token);
    EXPECT_EQ(la[i].launched_at.value, lb[i].launched_at.value);
  }
  // The same token again, from the other node: refused, and the refusal
  // changes nothing on either.
  const auto again = b.launch({launch_of("SHA0")});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), LaunchError::already_launched);
  EXPECT_EQ(ma.launch_count(), 2u * kEach);
}

TEST(SharedMarket, APriceSetOnOneNodeIsQuotedByEveryNode) {
  MemoryJournal journal;
  Follower fa(journal), fb(journal);
  Market ma, mb;
  SharedMarket a(ma, fa, 5s), b(mb, fb, 5s);
  std::atomic<int> changes_b{0};
  a.start({}, 5s);
  b.start([&] { ++changes_b; }, 5s);
  const auto sol = token_id("SOL"), usdc = token_id("USDC");
  ASSERT_TRUE(a.set_price(PriceSetting{Venue::raydium, sol, usdc, 250'000'000'000'000}));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (changes_b < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  const auto now = std::chrono::system_clock::now();
  const auto pool_a = ma.pool(Venue::raydium, sol.token(), usdc.token(), now);
  const auto pool_b = mb.pool(Venue::raydium, sol.token(), usdc.token(), now);
  ASSERT_TRUE(pool_a && pool_b);
  EXPECT_EQ(pool_a->reserve_in.base, pool_b->reserve_in.base);
  EXPECT_EQ(pool_a->reserve_out.base, pool_b->reserve_out.base);
  // 250 USDC (6 places) per SOL (9 places).
  EXPECT_EQ(pool_b->reserve_out.base * 1000 / pool_b->reserve_in.base, 250u);
  // A pair no pool lists is refused before anything is kept.
  const auto refused = a.set_price(PriceSetting{Venue::raydium, sol, sol, 1});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), PriceError::refused);
  EXPECT_EQ(journal.last().value, 1u);
}

// A node that starts later applies what the journal holds before it
// serves: the launches made before it came.
TEST(SharedMarket, ANodeThatStartsLaterAppliesEverythingBeforeItServes) {
  MemoryJournal journal;
  Follower fa(journal);
  Market ma;
  SharedMarket a(ma, fa, 5s);
  a.start({}, 5s);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a.launch({launch_of("LATE" + std::to_string(i))}));
  Follower fb(journal);
  Market mb;
  SharedMarket b(mb, fb, 5s);
  b.start({}, 5s);
  EXPECT_EQ(mb.launch_count(), 5u);
  EXPECT_EQ(b.applied().value, 5u);
}

}  // namespace
}  // namespace oee::core
