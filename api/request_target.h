#pragma once
// A request target (path and query) as the routes read it.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "api/api_error.h"

namespace oee::api {

struct RequestTarget {
  std::vector<std::string> segments;  // decoded, empty ones dropped
  std::map<std::string, std::string, std::less<>> params;
};

/// Errors (400): `invalid_target` for a target that is not an origin-form
/// URL; `duplicate_field` for a query parameter given twice (which one
/// would count is anyone's guess, so neither does).
[[nodiscard]] boost::system::result<RequestTarget, ApiError> parse_request_target(std::string_view target);

}  // namespace oee::api
