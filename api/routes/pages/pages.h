#pragma once
// Pages built into the server (api/routes/pages/*.html, embedded at build time).

#include <span>
#include <string_view>

namespace oee::api {

struct Page {
  std::string_view name;  // "test", from test.html
  std::string_view text;
};

/// Every page, in name order.
[[nodiscard]] std::span<const Page> pages();

/// The REST API's OpenAPI description (api/routes/openapi.json), as one
/// entry named "openapi".
[[nodiscard]] std::span<const Page> api_descriptions();

/// The page whose file is `name`.html, or nullptr.
[[nodiscard]] const Page* find_page(std::string_view name);

}  // namespace oee::api
