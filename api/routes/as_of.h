#pragma once
// The state the log held right after one event: an order as it stood
// (GET /api/orders/{id}?asOf=SEQ) and the orders as they stood, newest
// first (GET /api/orders?asOf=SEQ). Folded from the log alone, never from
// PostgreSQL; what each costs: docs/history.md, "As of a seq".

#include <optional>

#include "api/auth/access.h"
#include "api/http/http_message.h"
#include "api/http/request_target.h"
#include "api/routes/app.h"

namespace oee::api {

/// The `asOf` parameter, if given: a seq of the log (of the order's
/// partition in a cluster), at most the log's end (else 400, naming the end
/// if `name_end`: the log's end is the admin's to see).
[[nodiscard]] boost::system::result<std::optional<Seq>, ApiError> as_of_param(const RequestTarget& t,
                                                                             const eventlog::EventLogReader& log,
                                                                             bool name_end);

/// The order as it stood right after event `as_of`; 404 if it did not exist
/// yet (or is another key's).
[[nodiscard]] HttpResponse order_as_of(App& app, const OrderId& id, Seq as_of, const Principal& viewer);

/// GET /api/orders?asOf=: the orders submitted up to `asOf`, newest first,
/// each as it stood then: `limit` of them (default 50, at most 500)
/// submitted before `before` (the previous page's `next`). In a cluster,
/// asOf and before are positions, a seq per partition (p:seq,...).
[[nodiscard]] HttpResponse list_as_of(App& app, const RequestTarget& t, const Principal& viewer);

}  // namespace oee::api
