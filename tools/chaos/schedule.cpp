#include "tools/chaos/schedule.h"

#include <fmt/format.h>

#include "tools/chaos/cluster.h"
#include "tools/chaos/rng.h"

namespace oee::chaos {

namespace {
// A pause of 1.5 to 2.5 leases lets the other node take the paused one's
// partitions, or only just, before it wakes.
constexpr double kLease = kLeaseTtlSeconds;
}  // namespace

std::vector<Fault> make_schedule(std::uint64_t seed, double duration) {
  Rng rng(seed);
  std::vector<Fault> out;
  double at = rng.uniform(4, 9);
  while (at < duration) {
    Fault f;
    f.at = at;
    f.kind = static_cast<FaultKind>(rng.below(kFaultKinds));
    switch (f.kind) {
      case FaultKind::kill_node:
        f.target = rng.below(2);
        f.hold = rng.uniform(1, 3);
        break;
      case FaultKind::pause_node:
        f.target = rng.below(2);
        f.hold = rng.uniform(1.5 * kLease, 2.5 * kLease);
        break;
      case FaultKind::kill_nats:
        f.target = rng.below(3);
        f.hold = rng.uniform(2, 5);
        break;
    }
    out.push_back(f);
    at += rng.uniform(4, 9);
  }
  return out;
}

bool takes_a_node(FaultKind kind) { return kind != FaultKind::kill_nats; }

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kill_node: return "kill -9 of a node";
    case FaultKind::pause_node: return "SIGSTOP of a node";
    case FaultKind::kill_nats: return "kill -9 of a NATS server";
  }
  return "?";
}

std::string target_name(const Fault& fault) {
  if (takes_a_node(fault.kind)) return std::string("node ") + node_name(fault.target);
  return fmt::format("NATS server n{}", fault.target + 1);
}

std::string describe(const Fault& fault) {
  switch (fault.kind) {
    case FaultKind::kill_node: return fmt::format("kill -9 {}, restart after {:.1f} s", target_name(fault), fault.hold);
    case FaultKind::pause_node: return fmt::format("SIGSTOP {} for {:.1f} s", target_name(fault), fault.hold);
    case FaultKind::kill_nats: return fmt::format("kill -9 {}, resume after {:.1f} s", target_name(fault), fault.hold);
  }
  return "?";
}

}  // namespace oee::chaos
