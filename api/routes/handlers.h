#pragma once
// Every path the core serves, REST and WebSocket.

#include <string>

#include "api/http/api_error.h"
#include "api/http/router.h"
#include "api/routes/app.h"

namespace oee::api {

/// `app` must outlive the router.
[[nodiscard]] Router core_router(App& app);

}  // namespace oee::api
