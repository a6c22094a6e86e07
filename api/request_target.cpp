#include "api/request_target.h"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

namespace oee::api {

boost::system::result<RequestTarget, ApiError> parse_request_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return ApiError{400, "invalid_target", "the request target is not a valid URL", ""};
  RequestTarget t;
  for (auto seg : url->segments()) {
    if (!seg.empty()) t.segments.push_back(seg);
  }
  for (auto p : url->params()) {
    std::string key = p.key;
    if (t.params.contains(key)) {
      return ApiError{400, "duplicate_field", fmt::format("query parameter '{}' is given more than once", key),
                      key};
    }
    t.params.emplace(std::move(key), std::string(p.value));
  }
  return t;
}

}  // namespace oee::api
