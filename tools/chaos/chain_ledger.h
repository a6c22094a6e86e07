#pragma once
// The simulated chain's ledger as the cluster keeps it (its blocks, stream
// OEE_CHAIN: each signature's one outcome), read the way any outside
// auditor would: what judges a chaos run beside the log. Read whole at the
// first question, and again for a signature it does not hold yet.
//
// Lifecycle: connects on construction (throws if it cannot) and holds the
// connection while it lives.
// Threading: one thread at a time.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/engine/sim_chain.h"

namespace oee::eventlog::jetstream {
class Connection;
}  // namespace oee::eventlog::jetstream

namespace oee::chaos {

class ChainLedger {
 public:
  explicit ChainLedger(const std::string& nats_urls);
  ~ChainLedger();
  ChainLedger(const ChainLedger&) = delete;
  ChainLedger& operator=(const ChainLedger&) = delete;

  /// The signature's recorded outcome; nothing if the chain never decided
  /// it. Throws std::runtime_error if the blocks cannot be read (after a
  /// few tries), a signature is in two of them, or one holds a value that
  /// is not an outcome.
  [[nodiscard]] std::optional<core::TxResult> outcome(const std::string& signature);
  /// The blocks read so far.
  [[nodiscard]] std::size_t blocks() const { return blocks_; }

 private:
  void read();
  std::unique_ptr<eventlog::jetstream::Connection> connection_;
  std::unordered_map<std::string, std::string> outcomes_;
  std::size_t blocks_ = 0;
};

}  // namespace oee::chaos
