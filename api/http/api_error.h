#pragma once
// The error body every 4xx/5xx answer carries: {"error":{"code","message","field"}}.

#include <string>

#include "api/http/http_message.h"

namespace oee::api {

struct ApiError {
  ApiError() = default;
  // Not an aggregate, so result<Number, ApiError> can't mistake a number for an error.
  ApiError(int status_code, std::string error_code, std::string text, std::string field_name)
      : status(status_code), code(std::move(error_code)), message(std::move(text)), field(std::move(field_name)) {}

  int status = 400;
  std::string code;     // stable, machine-readable: "invalid_amount"
  std::string message;  // for humans
  std::string field;    // the offending field, or empty
};

/// A 400 answer: what most bad input gets.
[[nodiscard]] inline ApiError bad_request(std::string code, std::string message, std::string field = {}) {
  return ApiError{400, std::move(code), std::move(message), std::move(field)};
}

[[nodiscard]] std::string error_body(const ApiError& e);
[[nodiscard]] HttpResponse error_response(const ApiError& e);

}  // namespace oee::api
