#pragma once
// A run's faults, drawn from its seed before it starts, so that --seed N
// replays the same faults in the same order (their moments, measured from
// the start, shift only by how long each step takes).

#include <cstdint>
#include <string>
#include <vector>

namespace oee::chaos {

enum class FaultKind {
  kill_node,   // kill -9 of a node, started again (same name) after `hold`
  pause_node,  // SIGSTOP of a node for `hold` (1.5 to 2.5 leases), then SIGCONT
  kill_nats,   // kill -9 of a NATS server, started again on its data after `hold`
};
inline constexpr int kFaultKinds = 3;

struct Fault {
  double at = 0;    // seconds from the start of the run
  FaultKind kind = FaultKind::kill_node;
  int target = 0;   // node 0 (a) or 1 (b); NATS server 0..2 (n1..n3)
  double hold = 0;  // seconds until it is undone
};

/// One fault every 4 to 9 s while `duration` lasts, kind and target
/// uniformly drawn.
[[nodiscard]] std::vector<Fault> make_schedule(std::uint64_t seed, double duration);

/// Whether the fault takes a node (else a NATS server) away: at most one
/// of each is away at a time.
[[nodiscard]] bool takes_a_node(FaultKind kind);
[[nodiscard]] std::string_view fault_kind_name(FaultKind kind);
/// "kill -9 node a, restart after 2.1 s", as the schedule lists it.
[[nodiscard]] std::string describe(const Fault& fault);
[[nodiscard]] std::string target_name(const Fault& fault);

}  // namespace oee::chaos
