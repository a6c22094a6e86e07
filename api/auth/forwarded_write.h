#pragma once
// What a cluster node that owns a partition takes from another node's
// forward (oee.forward.p<P>): the writes an API node makes for a client,
// and nothing else. As an order's first event, a new order's submission
// under a key that may submit; after it, a cancel, an amendment, a dead
// letter's retry or dismissal, or an API key's creation (by a key that may
// make keys) or revocation. The NATS credentials let any client ask, so the
// request itself proves nothing: an order's step (its owner's executor
// makes those) or a slice (its parent's owner makes those) is refused.

#include <string>

#include "api/auth/key_ring.h"
#include "eventlog/event_log.h"

namespace oee::api {

/// Empty if `record` (`begins`: an order's first event) is a write this
/// node may append for another node, else why not.
[[nodiscard]] std::string check_forwarded_write(const KeyRing& keys, const eventlog::Record& record, bool begins);

}  // namespace oee::api
