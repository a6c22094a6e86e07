#pragma once
// A simulated Solana-like chain. Transaction ids are deterministic per
// (order, attempt), and the chain remembers every transaction that landed,
// so an executor that resumes after a crash asks "did tx X land?" instead
// of sending a second swap.
//
// Thread-safe. Latency is not simulated here (the executor sleeps); this
// class decides outcomes only, so it is pure enough for unit tests.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/landed_journal.h"
#include "core/market.h"
#include "eventlog/types.h"

namespace oee::core {

struct TxRequest {
  std::string tx_id;
  Venue venue = Venue::raydium;
  const Token* input = nullptr;
  const Token* output = nullptr;
  Amount amount_in;
  Amount min_out;
};

enum class TxOutcome {
  landed,             // executed; amount_out is what the pool paid
  slippage_exceeded,  // re-priced below min_out; nothing executed
  dropped,            // transient network/validator failure; nothing executed
  unavailable,        // the chain could not store the transaction (its disk is full); nothing executed,
                      // and sending the same transaction later is fine: no attempt is used up
};

struct TxResult {
  TxOutcome outcome = TxOutcome::dropped;
  Amount amount_out;
  std::string error;
};

class SimChain {
 public:
  /// `fail_rate` in [0, 1]: probability that a transaction is dropped.
  /// With a journal, landed transactions are remembered across restarts.
  SimChain(const Market& market, double fail_rate, std::uint64_t seed = 7, LandedJournal* journal = nullptr);

  /// "5Kd3…": base58 of 64 bytes derived from (order, attempt).
  [[nodiscard]] static std::string tx_id(const OrderId& order, std::uint32_t attempt);

  /// Sends a transaction. Sending a tx that already landed returns the
  /// remembered result; nothing executes twice.
  TxResult submit(const TxRequest& tx, std::chrono::system_clock::time_point now);
  /// The result of a landed transaction, or nullopt if it never landed.
  [[nodiscard]] std::optional<TxResult> find(const std::string& tx_id) const;
  [[nodiscard]] std::size_t landed_count() const;

 private:
  const Market& market_;
  double fail_rate_;
  std::uint64_t seed_;
  LandedJournal* journal_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, TxResult> landed_;
};

[[nodiscard]] std::string base58_encode(std::string_view bytes);

}  // namespace oee::core
