#pragma once
// The core's own status routes: /health (and /) in JSON, /metrics in the
// Prometheus text format.

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

[[nodiscard]] HttpResponse health(App& app);
[[nodiscard]] HttpResponse metrics(App& app);

}  // namespace oee::api
