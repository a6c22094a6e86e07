#pragma once
// Pages built into the server (api/routes/pages/*.html, embedded at build time).

#include <string_view>

namespace oee::api {

struct Page {
  std::string_view content_type;
  std::string_view body;
};

/// The page whose file is `name`.html ("test"), or nullptr.
[[nodiscard]] const Page* find_page(std::string_view name);

}  // namespace oee::api
