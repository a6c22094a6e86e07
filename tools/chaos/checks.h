#pragma once
// What a chaos run is judged by, once every acknowledged order had its
// time to end: the log (each order's events over HTTP), the chain's
// ledger (its blocks, stream OEE_CHAIN) and `oee-logdump --verify`.
//
// - lost: an acknowledged order the cluster does not know, or that a node
//   serves as not terminal, or cannot serve at all;
// - doubled: an order with more than one terminal event, or whose landed
//   signatures are not the ones its log confirms (each leg of a split
//   order counts: a second landing for a leg is a landed signature the log
//   does not confirm), or that the two nodes serve with different ends;
// - cancels broken: a cancel answered 200 whose order did not end
//   cancelled, or has a landed signature;
// - verify: oee-logdump --verify (the log's decisions, and the ledger
//   against the log) exits 0.

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tools/chaos/chain_ledger.h"
#include "tools/chaos/cluster.h"
#include "tools/chaos/workload.h"

namespace oee::chaos {

struct Finding {
  std::string id;
  std::string what;
};

struct Verdict {
  std::vector<Finding> lost;
  std::vector<Finding> doubled;
  std::vector<Finding> cancels_broken;
  std::vector<Finding> answered_unknown;  // a cancel or amend of it answered 404
  std::map<std::string, int> outcomes;  // final status -> orders
  int signatures_sent = 0;
  int signatures_landed = 0;
  int split_orders = 0;  // orders with more than one leg
};

/// Reads every acknowledged order of `records` and judges it. Throws
/// std::runtime_error if the log or the ledger cannot be read.
/// Stops early (with what it has) once `stop` is set.
[[nodiscard]] Verdict check_orders(const Cluster& cluster, const std::vector<OrderRecord>& records, ChainLedger& chain,
                                   const std::atomic<bool>& stop);

struct VerifyResult {
  int exit_code = -1;
  std::string summary;  // its last lines
};

/// `oee-logdump --verify` on `nats_urls` (given in its environment, not on
/// its command line), its output kept in `output`.
[[nodiscard]] VerifyResult verify_log(const std::filesystem::path& logdump, const std::string& nats_urls,
                                      const std::filesystem::path& output, const std::atomic<bool>& stop);

}  // namespace oee::chaos
