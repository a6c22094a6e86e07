#pragma once
// The dashboard a browser gets at GET /: a page and the modules it loads
// from /dashboard/, built into the binary (assets/). It reads everything
// through the public API and the stream of every order.

#include <span>
#include <string_view>

#include "api/http/embedded_file.h"
#include "api/http/http_message.h"
#include "api/http/router.h"

namespace oee::api {

/// Every file, named with its extension ("app.js"), in name order.
[[nodiscard]] std::span<const EmbeddedFile> dashboard_files();

/// The page, for a browser's GET /.
[[nodiscard]] HttpResponse dashboard_page();

/// GET /: the page for a browser (Accept: text/html), `otherwise()` for
/// anyone else; either says that it depends on Accept.
template <typename Otherwise>
[[nodiscard]] HttpResponse for_browsers_or_not(const HttpRequest& request, Otherwise otherwise) {
  HttpResponse response = request.wants_html ? dashboard_page() : otherwise();
  response.headers.emplace_back("Vary", "Accept");
  return response;
}

/// Adds GET /dashboard/{file} to `router`.
void add_dashboard_files(Router& router);

}  // namespace oee::api
