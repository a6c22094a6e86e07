#pragma once
// What the cluster-mode e2e tests share: a 3-server NATS cluster with two
// oee-server nodes on it, and the checks every failover test makes.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/engine/sim_chain.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"
#include "harness.h"
#include "nats_cluster.h"

namespace oee::e2e {

inline constexpr std::uint32_t kPartitions = 4;

/// A node's arguments: on `nats`, named `node`, kPartitions, a 2 s lease.
[[nodiscard]] std::vector<std::string> node_args(const testing::NatsCluster& nats, const std::string& node,
                                                 std::vector<std::string> more = {});

/// A JSON request's headers, sent with API key (or admin key) `secret`.
[[nodiscard]] std::map<std::string, std::string> as_key(const std::string& secret);

/// `count` market orders submitted to the node on `port`; their ids.
std::vector<std::string> submit(unsigned short port, int count);

/// A NATS cluster and two started nodes on it, a and b, each with `more`.
struct TwoNodes {
  /// Starts a, then b, and returns once each executes half of the
  /// partitions; throws if they do not come to.
  explicit TwoNodes(const std::vector<std::string>& more);
  /// A failed test shows what both nodes logged last: their data goes with
  /// the test's temporary directory.
  ~TwoNodes();
  TwoNodes(const TwoNodes&) = delete;
  TwoNodes& operator=(const TwoNodes&) = delete;
  std::tuple<testing::NatsCluster&, ServerProcess&, ServerProcess&> parts() { return {nats, a, b}; }

  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a;
  ServerProcess b;
};

/// Whether `node` (named `name`), the only node of its cluster, comes to
/// execute every partition within 20 s.
bool executes_every_partition(ServerProcess& node, const std::string& name);

/// Whether a and b come to execute half of the partitions each (the share
/// each holds once both run), within 20 s; `admin_key` if they run with
/// authentication on.
bool both_hold_their_share(ServerProcess& a, ServerProcess& b, const std::string& admin_key = {});

/// Checks every partition's log: once `taker` took a partition over, no
/// event of `paused` follows but first events (submits it accepted; a
/// slice's order it created, create-only). Returns how many partitions
/// `taker` took over.
int expect_fenced_after_takeovers(const testing::NatsCluster& nats, const std::string& paused, const std::string& taker);

/// Every order ended once: one terminal event.
void expect_finished_once(HttpClient& client, const std::vector<std::string>& ids);

/// How many partitions the node on `client` executes (0 while it answers
/// no /api/cluster).
std::size_t executed_here(HttpClient& client);

/// The simulated chain's ledger in the cluster (its blocks, stream
/// OEE_CHAIN), read as a tool reads it: what judges a fault test beside the
/// log. Read whole at the first question, and again for a signature it
/// does not hold yet.
class ChainBucket {
 public:
  explicit ChainBucket(const testing::NatsCluster& nats);
  /// The recorded outcome of a signature; none if the chain never decided it.
  std::optional<core::TxResult> outcome(const std::string& tx);
  /// How many signatures the chain has an outcome for: every transaction
  /// ever sent to it. Fails the test if a signature is in two blocks.
  std::size_t recorded();

 private:
  void read();
  std::unique_ptr<eventlog::jetstream::Connection> connection_;
  std::unordered_map<std::string, std::string> outcomes_;
};

/// The node executing partition p, as /api/cluster says; empty if none.
std::string owner_of(HttpClient& client, std::uint32_t p);

/// What every race test ends with: both outcomes happened (or the race was
/// not run), and neither node's log tells of an event that did not fold.
void expect_both_outcomes(int won, int lost, ServerProcess& a, ServerProcess& b);

/// Every signature an order's log sent (each attempt's, each leg's), and
/// the ones it confirms.
struct SentAndConfirmed {
  std::set<std::string> sent;
  std::set<std::string> confirmed;
};
SentAndConfirmed signatures(HttpClient& client, const std::string& id);

/// Of `sent`, how many landed on the chain; each landed one must be in
/// `confirmed` (checked, naming `id`).
int landed_signatures(ChainBucket& chain, const std::string& id, const SentAndConfirmed& sent);

}  // namespace oee::e2e
