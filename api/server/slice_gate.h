#pragma once
// What a recurring order's key allows its next slice (core::SliceGate): a
// revoked or expired key cancels the order, naming why, and each slice takes
// one write from the key's bucket, as the submit of an order does, waiting
// while the bucket is empty (docs/security.md).

#include "api/auth/key_ring.h"
#include "api/auth/rate_limit.h"
#include "core/engine/recurring_orders.h"

namespace oee::api {

/// Both must outlive the gate's use (the executor's).
[[nodiscard]] core::SliceGate slice_gate(const KeyRing& keys, RateLimiter& limits);

}  // namespace oee::api
