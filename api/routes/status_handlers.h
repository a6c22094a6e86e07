#pragma once
// The core's own status routes: /health (and /) in JSON, /metrics in the
// Prometheus text format.

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// `figures` (for the admin key, or anyone while authentication is off):
/// everything; else status words and durability only.
[[nodiscard]] HttpResponse health(App& app, bool figures);
[[nodiscard]] HttpResponse metrics(App& app);
/// GET /api/cluster: a cluster node's name and partitions (owner, last seq,
/// what it has not read yet); 404 on a server with the embedded log.
[[nodiscard]] HttpResponse cluster_status(App& app);
/// GET /api/stats: the last 5 minutes, per second (events by the status
/// they lead to) and per 5 s (submit -> confirmed p50 and p99), of every
/// order; `everyone`: false for a viewer who may see its own orders only,
/// who gets empty series ("scope":"own").
[[nodiscard]] HttpResponse recent_stats(App& app, bool everyone);

}  // namespace oee::api
