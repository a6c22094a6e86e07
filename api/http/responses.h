#pragma once
// The answers and parameter readers every REST route shares.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "api/http/request_target.h"
#include "eventlog/event_log.h"

namespace oee::api {

[[nodiscard]] HttpResponse json_response(int status, const boost::json::value& body);
[[nodiscard]] HttpResponse not_found(std::string message, std::string field = {});
[[nodiscard]] HttpResponse method_not_allowed(std::string allow);
/// 503 log_unavailable; with the log, it also says why the log refuses
/// writes and that it heals by itself.
[[nodiscard]] HttpResponse log_unavailable(const std::error_code& ec);
[[nodiscard]] HttpResponse log_unavailable(const eventlog::EventLogWriter& log, const std::error_code& ec);
/// 503 for a read the log could not answer: `no_owner` while a cluster
/// partition is between owners, `log_unavailable` otherwise; what passes by
/// itself says to ask again (Retry-After).
[[nodiscard]] HttpResponse log_unreadable(const std::error_code& ec);

/// The first of `names` present in the query.
[[nodiscard]] std::optional<std::string_view> param(const RequestTarget& t,
                                                    std::initializer_list<std::string_view> names);
/// The `limit` of a list: an integer in [1, max], `def` when absent.
[[nodiscard]] boost::system::result<std::uint64_t, ApiError> limit_param(const RequestTarget& t, std::uint64_t def,
                                                                         std::uint64_t max);
[[nodiscard]] boost::system::result<OrderId, ApiError> order_id_param(std::string_view text);
/// A JSON media type, or none at all (curl without -H; the body must still
/// parse as JSON).
[[nodiscard]] bool is_json_content_type(std::string_view content_type);

}  // namespace oee::api
