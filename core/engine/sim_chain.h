#pragma once
// A simulated Solana-like chain. Transaction ids are deterministic per
// (order, attempt), and the chain remembers every transaction that landed,
// in its ledger, so an executor that resumes after a crash asks "did tx X
// land?" instead of sending a second swap. The ledger is a store on disk,
// so the chain's memory does not grow with the transactions it has seen.
//
// Thread-safe. Latency is not simulated here (the executor sleeps); this
// class decides outcomes only, so it is pure enough for unit tests.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/domain/market.h"
#include "eventlog/key_value_store.h"
#include "eventlog/types.h"

namespace oee::core {

struct TxRequest {
  std::string tx_id;
  Venue venue = Venue::raydium;
  TokenId input;
  TokenId output;
  Amount amount_in;
  Amount min_out;
};

enum class TxOutcome {
  landed,             // executed; amount_out is what the pool paid
  slippage_exceeded,  // re-priced below min_out; nothing executed
  dropped,            // transient network/validator failure; nothing executed
  unavailable,        // the chain could not read or store its ledger (its disk is full); nothing executed,
                      // and sending the same transaction later is fine: no attempt is used up
};

struct TxResult {
  TxOutcome outcome = TxOutcome::dropped;
  Amount amount_out;
  std::string error;
  /// Executed now (landed, or refused for slippage): the pool it executed
  /// on and what that gave. None for a landing found in the ledger.
  std::optional<Quote> executed_on{};
};

class SimChain {
 public:
  /// `fail_rate` in [0, 1]: probability that a transaction is dropped.
  /// Landed transactions are kept in `ledger`: tx id -> amount out.
  static constexpr std::uint64_t kDefaultSeed = 7;
  SimChain(const Market& market, double fail_rate, eventlog::KeyValueStore& ledger,
           std::uint64_t seed = kDefaultSeed);

  /// "5Kd3…": base58 of 64 bytes derived from (order, attempt).
  [[nodiscard]] static std::string tx_id(const OrderId& order, std::uint32_t attempt);
  /// A split order's leg's: leg 0's is the attempt's own, tx_id(order, attempt).
  [[nodiscard]] static std::string tx_id(const OrderId& order, std::uint32_t attempt, std::uint32_t leg);

  /// Sends a transaction. Sending a tx that already landed returns the
  /// remembered result; nothing executes twice.
  TxResult submit(const TxRequest& tx, std::chrono::system_clock::time_point now);
  /// Sends several transactions at once, answered in their order: those
  /// that land are recorded together, each only if its id is new (one the
  /// ledger holds is answered as it landed then); one that cannot be
  /// recorded is `unavailable`. Their ids must differ. Thread-safe: the
  /// ledger's create-only records keep a tx from landing twice.
  std::vector<TxResult> submit_all(std::span<const TxRequest> txs, std::chrono::system_clock::time_point now);
  /// The result of a landed transaction, nullopt if it never landed, or a
  /// result `unavailable` if the ledger cannot be read now.
  [[nodiscard]] std::optional<TxResult> find(const std::string& tx_id) const;

 private:
  /// A landed transaction's result from its ledger value.
  [[nodiscard]] static TxResult recorded(const std::string& tx_id, std::string_view value);
  // The outcome of a tx not sent before, if the ledger records what lands.
  TxResult execute(const TxRequest& tx, std::chrono::system_clock::time_point now) const;

  const Market& market_;
  double fail_rate_;
  eventlog::KeyValueStore& ledger_;
  std::uint64_t seed_;
};

[[nodiscard]] std::string base58_encode(std::string_view bytes);

/// A landed transaction's amount out as the ledger stores it (decimal base
/// units), and back; nullopt for a value that is not one.
[[nodiscard]] std::string ledger_value(Amount amount_out);
[[nodiscard]] std::optional<Amount> parse_ledger_value(std::string_view text);

}  // namespace oee::core
