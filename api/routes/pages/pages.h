#pragma once
// Pages built into the server (api/routes/pages/*.html, embedded at build
// time), and its API description.

#include <span>

#include "api/http/embedded_file.h"

namespace oee::api {

/// Every page, named by its file without `.html` ("test"), in name order.
[[nodiscard]] std::span<const EmbeddedFile> pages();

/// The REST API's OpenAPI description (api/routes/openapi.json), as one
/// entry named "openapi".
[[nodiscard]] std::span<const EmbeddedFile> api_descriptions();

}  // namespace oee::api
