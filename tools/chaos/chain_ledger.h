#pragma once
// The simulated chain's ledger as the cluster keeps it (bucket oee-chain:
// a signature's one outcome, written create-only), read the way any
// outside auditor would: what judges a chaos run beside the log.
//
// Lifecycle: connects on construction (throws if it cannot) and holds the
// connection while it lives.
// Threading: one thread at a time.

#include <memory>
#include <optional>
#include <string>

#include "core/engine/sim_chain.h"

namespace oee::eventlog::jetstream {
class Connection;
class KvBucket;
}  // namespace oee::eventlog::jetstream

namespace oee::chaos {

class ChainLedger {
 public:
  explicit ChainLedger(const std::string& nats_urls);
  ~ChainLedger();
  ChainLedger(const ChainLedger&) = delete;
  ChainLedger& operator=(const ChainLedger&) = delete;

  /// The signature's recorded outcome; nothing if the chain never decided
  /// it. Throws std::runtime_error if the bucket cannot be read (after a
  /// few tries) or holds a value that is not an outcome.
  [[nodiscard]] std::optional<core::TxResult> outcome(const std::string& signature);

 private:
  std::unique_ptr<eventlog::jetstream::Connection> connection_;
  std::unique_ptr<eventlog::jetstream::KvBucket> bucket_;
};

}  // namespace oee::chaos
