#include "api/server/slice_gate.h"

#include <chrono>

namespace oee::api {

core::SliceGate slice_gate(const KeyRing& keys, RateLimiter& limits) {
  return [&keys, &limits](const core::OrderState& parent) -> core::SliceClearance {
    if (!parent.owner) return {};  // the admin key's, or made with authentication off
    const auto key = keys.get(*parent.owner);
    // Not folded here yet (made on another cluster node a moment ago).
    if (!key) return core::SliceClearance{std::chrono::seconds(1), {}};
    if (key->revoked_at) return core::SliceClearance{{}, "its API key " + key->id.str() + " was revoked"};
    if (!key->live_at(TimestampNs::now())) {
      return core::SliceClearance{{}, "its API key " + key->id.str() + " expired"};
    }
    const auto d = limits.key(key->id, RateLimiter::Kind::writes, key->rate_limit, std::chrono::steady_clock::now());
    if (!d.allowed) return core::SliceClearance{std::chrono::seconds(d.retry_after_s), {}};
    return {};
  };
}

}  // namespace oee::api
