#pragma once
// A simulated Solana-like chain. Transaction ids (signatures) are
// deterministic per (order, attempt, leg), and a signature has exactly one
// outcome, as on a real chain: the first time the chain decides it (landed
// with its amount, or refused: slippage, dropped, expired), the outcome is
// recorded create-only in the ledger, and only then does it count. The
// same signature sent again, by this node after a crash or by another node
// after a takeover, is answered with that outcome; it never executes
// twice and a refusal is never turned into a landing later.
//
// Each transaction carries the last moment the chain takes it (a real
// transaction's recent blockhash expires); past it the chain records it
// expired. So an executor may sign a new attempt once the last one has an
// outcome or is past its validity, and the old one can no longer land.
//
// The ledger is a store on disk (in a cluster, the chain's blocks, written
// by one node: eventlog/jetstream/chain_writer.h), so the chain's memory
// does not grow with what it has seen.
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
  /// Refused (and recorded expired) when sent after this; 0: no limit.
  TimestampNs last_valid_at{};
};

enum class TxOutcome {
  landed,             // executed; amount_out is what the pool paid
  slippage_exceeded,  // re-priced below min_out; nothing executed
  dropped,            // transient network/validator failure; nothing executed
  expired,            // sent after its last valid moment; nothing executed
  unavailable,        // the chain could not read or store its ledger (its disk is full); nothing executed,
                      // and sending the same transaction later is fine: no attempt is used up
};

struct TxResult {
  TxOutcome outcome = TxOutcome::dropped;
  Amount amount_out;
  std::string error;
  /// Executed now (landed, or refused for slippage): the pool it executed
  /// on and what that gave. None for an outcome found in the ledger.
  std::optional<Quote> executed_on{};
};

class SimChain {
 public:
  /// `fail_rate` in [0, 1]: probability that a transaction is dropped.
  /// Every outcome is kept in `ledger`: tx id -> ledger_value().
  static constexpr std::uint64_t kDefaultSeed = 7;
  SimChain(const Market& market, double fail_rate, eventlog::KeyValueStore& ledger,
           std::uint64_t seed = kDefaultSeed);

  /// "5Kd3…": base58 of 64 bytes derived from (order, attempt).
  [[nodiscard]] static std::string tx_id(const OrderId& order, std::uint32_t attempt);
  /// A split order's leg's: leg 0's is the attempt's own, tx_id(order, attempt).
  [[nodiscard]] static std::string tx_id(const OrderId& order, std::uint32_t attempt, std::uint32_t leg);

  /// Sends a transaction. Sending a tx the chain has decided before
  /// returns the recorded outcome; nothing executes twice.
  TxResult submit(const TxRequest& tx, std::chrono::system_clock::time_point now);
  /// Sends several transactions at once, answered in their order: their
  /// outcomes are recorded together, each only if its id is new (one the
  /// ledger holds is answered as it was decided then); one that cannot be
  /// recorded is `unavailable` and has not happened. Their ids must
  /// differ. Thread-safe: the ledger's create-only records give a
  /// signature one outcome, whoever sends it.
  std::vector<TxResult> submit_all(std::span<const TxRequest> txs, std::chrono::system_clock::time_point now);
  /// The recorded outcome of a transaction, nullopt if the chain has not
  /// decided it, or a result `unavailable` if the ledger cannot be read now.
  [[nodiscard]] std::optional<TxResult> find(const std::string& tx_id) const;

 private:
  /// A transaction's result from its ledger value.
  [[nodiscard]] static TxResult recorded(const std::string& tx_id, std::string_view value);
  // The outcome of a tx not decided before, once the ledger records it.
  TxResult execute(const TxRequest& tx, std::chrono::system_clock::time_point now) const;

  const Market& market_;
  double fail_rate_;
  eventlog::KeyValueStore& ledger_;
  std::uint64_t seed_;
};

[[nodiscard]] std::string base58_encode(std::string_view bytes);

/// An outcome as the ledger stores it: a landing as its amount out in
/// decimal base units (as ledgers written before refusals were recorded
/// hold it), a refusal as "<kind>:<reason>" with kind slippage, dropped or
/// expired. `unavailable` is never recorded.
[[nodiscard]] std::string ledger_value(Amount amount_out);
[[nodiscard]] std::string ledger_value(const TxResult& outcome);
/// A ledger value's outcome (amount out for a landing, the reason for a
/// refusal); nullopt for a value that is not one.
[[nodiscard]] std::optional<TxResult> parse_ledger_value(std::string_view text);

}  // namespace oee::core
