#pragma once
// What the cluster-mode e2e tests share: a 3-server NATS cluster with two
// oee-server nodes on it, and the checks every failover test makes.

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "harness.h"
#include "nats_cluster.h"

namespace oee::e2e {

inline constexpr std::uint32_t kPartitions = 4;

/// A node's arguments: on `nats`, named `node`, kPartitions, a 2 s lease.
[[nodiscard]] std::vector<std::string> node_args(const testing::NatsCluster& nats, const std::string& node,
                                                 std::vector<std::string> more = {});

/// `count` market orders submitted to the node on `port`; their ids.
std::vector<std::string> submit(unsigned short port, int count);

/// A NATS cluster and two started nodes on it, a and b, each with `more`.
struct TwoNodes {
  explicit TwoNodes(const std::vector<std::string>& more);
  std::tuple<testing::NatsCluster&, ServerProcess&, ServerProcess&> parts() { return {nats, a, b}; }

  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a;
  ServerProcess b;
};

/// Whether a and b come to execute half of the partitions each (the share
/// each holds once both run), within 20 s.
bool both_hold_their_share(ServerProcess& a, ServerProcess& b);

/// Checks every partition's log: once `taker` took a partition over, no
/// event of `paused` follows but first events (submits it accepted; a
/// slice's order it created, create-only). Returns how many partitions
/// `taker` took over.
int expect_fenced_after_takeovers(const testing::NatsCluster& nats, const std::string& paused, const std::string& taker);

/// Every order ended once: one terminal event.
void expect_finished_once(HttpClient& client, const std::vector<std::string>& ids);

}  // namespace oee::e2e
