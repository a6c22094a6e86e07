#pragma once
// JSON from clients, parsed strictly: what json::parse lets through silently
// is refused with a clear error instead.

#include <string_view>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"

namespace oee::api {

/// Parses one JSON document. Errors (status 400): `invalid_json` for text
/// that is not JSON; `duplicate_field` for a key given twice in one object
/// (json::parse keeps the last, so `"amount":10,"amount":1000000` would
/// submit the second), naming the key in `field`. The value is built in
/// `storage` (the default heap if none).
[[nodiscard]] boost::system::result<boost::json::value, ApiError> parse_json_strict(
    std::string_view text, boost::json::storage_ptr storage = {});

}  // namespace oee::api
