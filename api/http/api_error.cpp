#include "api/http/api_error.h"

#include <boost/json.hpp>

namespace oee::api {

namespace json = boost::json;

std::string error_body(const ApiError& e) {
  json::object inner{{"code", e.code}, {"message", e.message}};
  inner["field"] = e.field.empty() ? json::value(nullptr) : json::value(e.field);
  return json::serialize(json::object{{"error", std::move(inner)}});
}

HttpResponse error_response(const ApiError& e) { return HttpResponse{e.status, error_body(e), "application/json", {}}; }

}  // namespace oee::api
