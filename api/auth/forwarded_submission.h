#pragma once
// What a cluster node that owns a partition takes from another node's
// forward (oee.forward.p<P>): a new order's submission under a key that
// may submit, nothing else. The NATS credentials let any client ask, so
// the request itself proves nothing; an API key's events, another order's
// step or a slice (made by its parent's owner alone) are refused.

#include <string>

#include "api/auth/key_ring.h"
#include "eventlog/event_log.h"

namespace oee::api {

/// Empty if `record` is a submission this node may append for another
/// node, else why not.
[[nodiscard]] std::string check_forwarded_submission(const KeyRing& keys, const eventlog::Record& record);

}  // namespace oee::api
