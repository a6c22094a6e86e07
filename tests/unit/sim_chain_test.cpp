#include "core/engine/sim_chain.h"

#include <chrono>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/domain/market.h"
#include "core/domain/tokens.h"
#include "memory_store.h"
#include "tests/unit/domain_fixtures.h"

namespace oee::core {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kBase58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

OrderId id(std::string_view text) { return *OrderId::parse(text); }

// The textbook algorithm, one digit per pass over the bytes: the reference
// the faster encoder must agree with.
std::string base58_reference(std::string_view bytes) {
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  std::vector<std::uint8_t> digits;
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<std::uint8_t>(bytes[i]);
    for (auto& d : digits) {
      carry += static_cast<unsigned>(d) << 8;
      d = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry != 0) {
      digits.push_back(static_cast<std::uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kBase58Alphabet[*it]);
  return out;
}

TEST(Base58, AgreesWithTheReferenceOnRandomBytes) {
  std::mt19937_64 rng(42);
  for (int n = 0; n < 3000; ++n) {
    std::string bytes(rng() % 81, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());  // zeros anywhere, leading too
    ASSERT_EQ(base58_encode(bytes), base58_reference(bytes)) << "length " << bytes.size();
  }
}

// Tx ids are stored in the log and the chain journal: they must not change
// between versions, or a resumed order would not find its landed tx.
TEST(TxId, StableAcrossVersions) {
  const OrderId order = id("11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(SimChain::tx_id(order, 1),
            "GdXYnxRXvkt1LUVKnopFkQXLMCJesLpPQBo4x1S6FAj8dnbxfAdZu8B5UjPmf2pvUX2whqfwcRGW48wXan4RWYR");
  EXPECT_EQ(SimChain::tx_id(order, 7),
            "3EHV4P3mMuxzEFsDVpsuwyUUPQnfc6cfydehA8QBhpZKgus6ZcTvSaf9FYcuRcCyKpuxee7Vmy3pnfWvkpnz2Wnb");
}

TEST(TxId, DeterministicPerOrderAndAttempt) {
  const OrderId a = id("123e4567-e89b-42d3-a456-426614174000");
  const OrderId b = id("123e4567-e89b-42d3-a456-426614174001");
  EXPECT_EQ(SimChain::tx_id(a, 1), SimChain::tx_id(a, 1));
  EXPECT_EQ(SimChain::tx_id(b, 3), SimChain::tx_id(b, 3));
  EXPECT_NE(SimChain::tx_id(a, 1), SimChain::tx_id(a, 2));
  EXPECT_NE(SimChain::tx_id(a, 1), SimChain::tx_id(b, 1));

  std::set<std::string> seen;
  for (int o = 0; o < 50; ++o) {
    const OrderId order = OrderId::random();
    for (std::uint32_t attempt = 1; attempt <= 5; ++attempt) {
      const std::string tx = SimChain::tx_id(order, attempt);
      EXPECT_TRUE(seen.insert(tx).second) << "duplicate tx id " << tx;
      EXPECT_GE(tx.size(), 80u) << tx;
      EXPECT_LE(tx.size(), 90u) << tx;
      EXPECT_EQ(tx.find_first_not_of(kBase58Alphabet), std::string::npos) << tx;
      EXPECT_NE(tx.front(), '1') << "leading zero byte: " << tx;
    }
  }
}

TEST(Base58, KnownVectors) {
  EXPECT_EQ(base58_encode(""), "");
  EXPECT_EQ(base58_encode(std::string_view("\x00", 1)), "1");
  EXPECT_EQ(base58_encode(std::string_view("\x00\x00\x00", 3)), "111");
  EXPECT_EQ(base58_encode("hello world"), "StV1DL6CwTryKyV");
  EXPECT_EQ(base58_encode("a"), "2g");
  EXPECT_EQ(base58_encode("bbb"), "a3gV");
  EXPECT_EQ(base58_encode("ccc"), "aPEr");
  EXPECT_EQ(base58_encode("\x39"), "z");   // 57, the last digit
  EXPECT_EQ(base58_encode("\x3a"), "21");  // 58 = 1*58 + 0
  EXPECT_EQ(base58_encode(std::string_view("\x00\x00\x00\x28\x7f\xb4\xcd", 7)), "111233QC4");
  EXPECT_EQ(base58_encode("\x51\x6b\x6f\xcd\x0f"), "ABnLTmg");
  EXPECT_EQ(base58_encode(std::string_view("\0\0\x01", 3)), "112");
  EXPECT_EQ(base58_encode("Hello World!"), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(base58_encode("\xff\xff\xff\xff"), "7YXq9G");
}

class SimChainTest : public ::testing::Test {
 protected:
  const Token& sol_ = *find_token("SOL");
  const Token& usdc_ = *find_token("USDC");
  Market market_;
  oee::testing::MemoryStore ledger_;
  oee::testing::MemoryStore other_ledger_;

  TxRequest request(std::string tx_id, Amount min_out = Amount{0}) const {
    return TxRequest{std::move(tx_id), Venue::raydium, TokenId(sol_), TokenId(usdc_), Amount{1'000'000'000}, min_out};
  }
  Amount pool_output(std::chrono::system_clock::time_point at) const {
    return quote_pool(Venue::raydium, *market_.pool(Venue::raydium, sol_, usdc_, at), Amount{1'000'000'000})
        .amount_out;
  }
};

TEST_F(SimChainTest, LandedTransactionIsRememberedAndNotRepeated) {
  SimChain chain(market_, 0.0, ledger_);
  const std::string tx = SimChain::tx_id(OrderId::random(), 1);
  EXPECT_FALSE(chain.find(tx).has_value());
  EXPECT_EQ(ledger_.size(), 0u);

  const TxResult first = chain.submit(request(tx), t0());
  ASSERT_EQ(first.outcome, TxOutcome::landed) << first.error;
  EXPECT_EQ(first.amount_out, pool_output(t0()));
  EXPECT_GT(first.amount_out.base, 0u);
  EXPECT_EQ(ledger_.size(), 1u);

  const auto found = chain.find(tx);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->outcome, TxOutcome::landed);
  EXPECT_EQ(found->amount_out, first.amount_out);

  // Resending later (the pool price has moved) returns the remembered result.
  const auto later = t0() + 23s;
  ASSERT_NE(pool_output(later), first.amount_out) << "pick a time at which the price differs";
  const TxResult second = chain.submit(request(tx), later);
  EXPECT_EQ(second.outcome, TxOutcome::landed);
  EXPECT_EQ(second.amount_out, first.amount_out);
  EXPECT_EQ(ledger_.size(), 1u);

  // A different tx is independent.
  const TxResult other = chain.submit(request(tx + "x"), later);
  EXPECT_EQ(other.outcome, TxOutcome::landed);
  EXPECT_EQ(other.amount_out, pool_output(later));
  EXPECT_EQ(ledger_.size(), 2u);
}

TEST_F(SimChainTest, FailRateOneDropsEverything) {
  SimChain chain(market_, 1.0, ledger_);
  for (int i = 0; i < 50; ++i) {
    const std::string tx = SimChain::tx_id(OrderId::random(), 1);
    const TxResult r = chain.submit(request(tx), t0());
    EXPECT_EQ(r.outcome, TxOutcome::dropped);
    EXPECT_FALSE(r.error.empty());
    // A drop is the signature's outcome too: it cannot land later.
    const auto found = chain.find(tx);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->outcome, TxOutcome::dropped);
    EXPECT_EQ(found->error, r.error);
  }
  EXPECT_EQ(ledger_.size(), 50u);
}

TEST_F(SimChainTest, DropDecisionIsReproduciblePerTx) {
  SimChain a(market_, 0.5, ledger_, 7);
  SimChain b(market_, 0.5, other_ledger_, 7);
  int dropped = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string tx = SimChain::tx_id(OrderId::random(), 1);
    const auto ra = a.submit(request(tx), t0());
    const auto rb = b.submit(request(tx), t0());
    EXPECT_EQ(ra.outcome, rb.outcome);
    dropped += ra.outcome == TxOutcome::dropped;
  }
  // Roughly half: far from 0 and from 200.
  EXPECT_GT(dropped, 50);
  EXPECT_LT(dropped, 150);
  EXPECT_EQ(ledger_.size(), 200u);
}

// A refusal is recorded as the signature's one outcome: the same
// transaction sent again, when the price would let it land, is refused as
// it was, so a retry under a new signature can never be joined by a late
// landing of the old one.
TEST_F(SimChainTest, ASlippageRefusalIsTheSignaturesOneOutcome) {
  SimChain chain(market_, 0.0, ledger_);
  const std::string tx = SimChain::tx_id(OrderId::random(), 1);
  const Amount out = pool_output(t0());
  const TxResult r = chain.submit(request(tx, Amount{out.base + 1}), t0());
  EXPECT_EQ(r.outcome, TxOutcome::slippage_exceeded);
  EXPECT_EQ(r.amount_out, out);
  EXPECT_NE(r.error.find("slippage"), std::string::npos) << r.error;
  const auto found = chain.find(tx);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->outcome, TxOutcome::slippage_exceeded);
  EXPECT_EQ(ledger_.size(), 1u);

  const TxResult again = chain.submit(request(tx, out), t0());
  EXPECT_EQ(again.outcome, TxOutcome::slippage_exceeded);
  EXPECT_EQ(again.error, r.error);
  EXPECT_EQ(ledger_.size(), 1u);

  // min_out exactly at the pool output lands, under a signature of its own.
  const TxResult ok = chain.submit(request(tx + "x", out), t0());
  EXPECT_EQ(ok.outcome, TxOutcome::landed);
  EXPECT_EQ(ok.amount_out, out);
  EXPECT_EQ(ledger_.size(), 2u);
}

// Two nodes' chains on one shared ledger, as in a cluster: the node that
// took a partition over sends the paused owner's transaction, which is
// refused; the paused owner wakes and sends it where it would land. It gets
// the refusal: nothing lands under that signature, ever.
TEST_F(SimChainTest, ASignatureRefusedOnOneNodeCannotLandFromAnother) {
  SimChain taker(market_, 0.0, ledger_);
  SimChain paused_owner(market_, 0.0, ledger_);
  const std::string tx = SimChain::tx_id(OrderId::random(), 1);
  const Amount out = pool_output(t0());
  ASSERT_EQ(taker.submit(request(tx, Amount{out.base + 1}), t0()).outcome, TxOutcome::slippage_exceeded);
  const TxResult late = paused_owner.submit(request(tx, Amount{1}), t0() + 23s);
  EXPECT_EQ(late.outcome, TxOutcome::slippage_exceeded) << late.error;
  EXPECT_FALSE(late.executed_on.has_value()) << "executed again instead of answered from the ledger";
  EXPECT_EQ(ledger_.size(), 1u);
}

// A transaction past its last valid moment is refused as expired, and that
// is its outcome from then on, even sent again in time by a clock behind.
TEST_F(SimChainTest, ATransactionSentAfterItsLastValidTimeExpiresForGood) {
  SimChain chain(market_, 0.0, ledger_);
  const TimestampNs valid_until{std::chrono::duration_cast<std::chrono::nanoseconds>(t0().time_since_epoch()).count()};
  auto in_time = request(SimChain::tx_id(OrderId::random(), 1));
  in_time.last_valid_at = valid_until;
  EXPECT_EQ(chain.submit(in_time, t0()).outcome, TxOutcome::landed) << "at its last valid moment it still lands";

  auto late = request(SimChain::tx_id(OrderId::random(), 1));
  late.last_valid_at = valid_until;
  const TxResult expired = chain.submit(late, t0() + 1ms);
  EXPECT_EQ(expired.outcome, TxOutcome::expired);
  EXPECT_NE(expired.error.find("expired"), std::string::npos) << expired.error;
  EXPECT_EQ(chain.submit(late, t0() - 1s).outcome, TxOutcome::expired);
  EXPECT_EQ(ledger_.size(), 2u);

  auto unlimited = request(SimChain::tx_id(OrderId::random(), 1));  // a log from before validities
  EXPECT_EQ(chain.submit(unlimited, t0() + 24h).outcome, TxOutcome::landed);
}

TEST(LedgerValue, EveryOutcomeReadsBackAsWritten) {
  for (const auto& outcome : {TxResult{TxOutcome::landed, Amount{1'517'293'617}, {}},
                              TxResult{TxOutcome::slippage_exceeded, {}, "slippage exceeded: would receive 1 USDC"},
                              TxResult{TxOutcome::dropped, {}, "transaction dropped: not taken by the leader"},
                              TxResult{TxOutcome::expired, {}, "transaction expired: sent after its last valid time"}}) {
    const auto back = parse_ledger_value(ledger_value(outcome));
    ASSERT_TRUE(back.has_value()) << ledger_value(outcome);
    EXPECT_EQ(back->outcome, outcome.outcome);
    EXPECT_EQ(back->amount_out, outcome.amount_out);
    EXPECT_EQ(back->error, outcome.error);
  }
  EXPECT_EQ(parse_ledger_value("1517293617")->amount_out, Amount{1'517'293'617}) << "a ledger written before refusals";
  EXPECT_FALSE(parse_ledger_value("12abc").has_value());
  EXPECT_FALSE(parse_ledger_value("landed:5").has_value());
  EXPECT_FALSE(parse_ledger_value("").has_value());
  EXPECT_TRUE(ledger_value(TxResult{TxOutcome::unavailable, {}, "disk full"}).empty());
}

TEST_F(SimChainTest, ALedgerThatRefusesWritesLandsNothingAndTheSameTxLandsLater) {
  SimChain chain(market_, 0.0, ledger_);
  const std::string tx = SimChain::tx_id(OrderId::random(), 1);
  ledger_.refuse_writes("No space left on device");
  const TxResult refused = chain.submit(request(tx), t0());
  EXPECT_EQ(refused.outcome, TxOutcome::unavailable);
  EXPECT_NE(refused.error.find("No space left on device"), std::string::npos) << refused.error;
  EXPECT_FALSE(chain.find(tx).has_value());
  EXPECT_EQ(ledger_.size(), 0u);

  ledger_.refuse_writes("");
  const TxResult landed = chain.submit(request(tx), t0());
  EXPECT_EQ(landed.outcome, TxOutcome::landed) << landed.error;
  EXPECT_EQ(ledger_.size(), 1u);
}

// The executor sends one pass's transactions together: answered in their
// order, each as it would be alone, and their outcomes in one ledger write.
TEST_F(SimChainTest, SubmitAllAnswersInOrderAndLandsTheBatchInOneWrite) {
  SimChain chain(market_, 0.0, ledger_);
  const std::string earlier = SimChain::tx_id(OrderId::random(), 1);
  const Amount remembered = chain.submit(request(earlier), t0()).amount_out;
  const std::string fresh = SimChain::tx_id(OrderId::random(), 1);
  const std::string too_tight = SimChain::tx_id(OrderId::random(), 1);
  const std::string another = SimChain::tx_id(OrderId::random(), 2);
  const auto later = t0() + 23s;
  const Amount out = pool_output(later);
  ASSERT_NE(out, remembered);
  const std::vector<TxRequest> txs{request(fresh), request(earlier), request(too_tight, Amount{out.base + 1}),
                                   request(another)};
  const std::size_t writes = ledger_.writes();

  const auto results = chain.submit_all(txs, later);

  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].outcome, TxOutcome::landed);
  EXPECT_EQ(results[0].amount_out, out);
  EXPECT_EQ(results[1].outcome, TxOutcome::landed);
  EXPECT_EQ(results[1].amount_out, remembered);  // not executed again
  EXPECT_EQ(results[2].outcome, TxOutcome::slippage_exceeded);
  EXPECT_EQ(results[3].outcome, TxOutcome::landed);
  EXPECT_EQ(ledger_.writes(), writes + 1);
  EXPECT_EQ(ledger_.size(), 4u);
  EXPECT_EQ(chain.find(fresh)->amount_out, out);
  EXPECT_EQ(chain.find(too_tight)->outcome, TxOutcome::slippage_exceeded);
}

TEST_F(SimChainTest, ABatchTheLedgerRefusesLandsNoneOfItAndKeepsWhatLandedBefore) {
  SimChain chain(market_, 0.0, ledger_);
  const std::string earlier = SimChain::tx_id(OrderId::random(), 1);
  ASSERT_EQ(chain.submit(request(earlier), t0()).outcome, TxOutcome::landed);
  const std::string a = SimChain::tx_id(OrderId::random(), 1);
  const std::string b = SimChain::tx_id(OrderId::random(), 1);
  ledger_.refuse_writes("No space left on device");

  const auto results = chain.submit_all(std::vector<TxRequest>{request(a), request(earlier), request(b)}, t0());

  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome, TxOutcome::unavailable);
  EXPECT_NE(results[0].error.find("No space left on device"), std::string::npos) << results[0].error;
  EXPECT_EQ(results[1].outcome, TxOutcome::landed);
  EXPECT_EQ(results[2].outcome, TxOutcome::unavailable);
  EXPECT_EQ(ledger_.size(), 1u);
  EXPECT_FALSE(chain.find(a).has_value());
  EXPECT_FALSE(chain.find(b).has_value());
}

// The ledger is the chain's whole memory: a new chain on the same ledger
// (the server restarted) knows what landed and does not execute it again.
TEST_F(SimChainTest, ANewChainOnTheSameLedgerRemembersWhatLanded) {
  const std::string tx = SimChain::tx_id(OrderId::random(), 1);
  const Amount first = SimChain(market_, 0.0, ledger_).submit(request(tx), t0()).amount_out;
  SimChain restarted(market_, 0.0, ledger_);
  const auto found = restarted.find(tx);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->outcome, TxOutcome::landed);
  EXPECT_EQ(found->amount_out, first);
  EXPECT_EQ(restarted.submit(request(tx), t0() + 23s).amount_out, first);
  EXPECT_EQ(ledger_.size(), 1u);
}

TEST_F(SimChainTest, AnUnreadableLedgerEntryIsUnavailableNotZero) {
  SimChain chain(market_, 0.0, ledger_);
  ASSERT_FALSE(ledger_.put("tx-with-no-amount", "12abc"));
  const auto found = chain.find("tx-with-no-amount");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->outcome, TxOutcome::unavailable);
  EXPECT_EQ(chain.submit(request("tx-with-no-amount"), t0()).outcome, TxOutcome::unavailable);
}

}  // namespace
}  // namespace oee::core
