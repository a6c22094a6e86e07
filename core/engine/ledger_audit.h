#pragma once
// The simulated chain's ledger against the log: what `oee-logdump --verify`
// checks where it can read the ledger (a data directory's, or a cluster's
// blocks, stream OEE_CHAIN). The log can look clean while the chain executed a
// transaction twice (a paused owner's send after a takeover); the ledger
// is where that shows.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eventlog/event_log.h"
#include "eventlog/key_value_store.h"

namespace oee::core {

struct LedgerAuditReport {
  std::size_t signatures = 0;  // sent, as the log records them
  std::size_t landed = 0;      // of those, landed on the chain
  std::size_t refused = 0;     // of those, refused (slippage, dropped, expired)
  /// Landed: an order's own transaction (not split), and each leg's of a
  /// split order, by leg.
  std::size_t landed_whole = 0;
  std::map<std::uint32_t, std::size_t> landed_legs;
  /// Refused, by kind.
  std::size_t slippage = 0;
  std::size_t dropped = 0;
  std::size_t expired = 0;
  /// Sent, and never decided by the chain (lost on the way, or too late).
  std::size_t undecided = 0;
  /// Each names the order and the signature; empty when the two agree.
  std::vector<std::string> problems;
};

/// Reads every event of `log` (each partition of a cluster's) and the
/// outcome of every signature it sent. They agree when each signature the
/// chain landed is one its order confirms (a filled leg's, or the order's
/// own), so no order or leg executed twice, and each confirmed signature
/// landed. An order not finished may have a landing it has yet to confirm.
[[nodiscard]] LedgerAuditReport audit_ledger(const eventlog::EventLogReader& log,
                                             const eventlog::KeyValueStore& ledger);

}  // namespace oee::core
