#include "api/dashboard/dashboard.h"

#include "api/http/responses.h"

namespace oee::api {

namespace {

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

// The page runs only its own files and talks only to its own origin.
const std::pair<std::string, std::string> kPolicy{
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"};

HttpResponse file_response(const EmbeddedFile& file) {
  return HttpResponse{200,
                      std::string(file.text),
                      std::string(content_type_of(file.name)),
                      {},
                      {kPolicy, {"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}}};
}

const EmbeddedFile* find_file(std::string_view name) { return find_embedded(dashboard_files(), name); }

}  // namespace

HttpResponse dashboard_page() {
  const EmbeddedFile* page = find_file("index.html");
  if (page == nullptr) return not_found("this server was built without its dashboard");
  return file_response(*page);
}

void add_dashboard_files(Router& router) {
  router.on("GET", "dashboard/*", kAnyone, at_once([](const HttpRequest&, const RequestTarget& t) {
              const EmbeddedFile* file = find_file(t.segments[1]);
              if (file == nullptr || file->name == "index.html") {
                return not_found("the dashboard has no file " + std::string(t.segments[1]));
              }
              return file_response(*file);
            }));
}

}  // namespace oee::api
