#include "api/http/responses.h"

#include <charconv>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

namespace oee::api {

namespace json = boost::json;

HttpResponse json_response(int status, const json::value& v) {
  return HttpResponse{status, json::serialize(v), "application/json", {}};
}

HttpResponse not_found(std::string message, std::string field) {
  return error_response(ApiError{404, "not_found", std::move(message), std::move(field)});
}

HttpResponse method_not_allowed(std::string allow) {
  auto r = error_response(ApiError{405, "method_not_allowed", "use " + allow + " on this path", ""});
  r.allow = std::move(allow);
  return r;
}

namespace {

// A 503 that passes by itself: the client is told when to try again.
HttpResponse try_again_soon(ApiError error) {
  auto r = error_response(std::move(error));
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

HttpResponse log_unavailable(const std::error_code& ec) {
  if (ec == eventlog::Failure::outcome_unknown) {
    // Sent, not acknowledged in time (a cluster log electing a leader): it
    // may yet have landed, so the client retries with its idempotency key.
    return try_again_soon(ApiError{503, "append_timeout",
                                   "the write was not acknowledged in time and may or may not have been stored: "
                                   "send it again with the same Idempotency-Key",
                                   ""});
  }
  if (ec == eventlog::Failure::no_owner) {
    // A cluster partition between owners: the write was never taken, and
    // a new owner takes it over within a lease.
    return try_again_soon(ApiError{503, "no_owner", ec.message() + ": send it again", ""});
  }
  return error_response(ApiError{503, "log_unavailable", "the event log cannot be written: " + ec.message(), ""});
}

HttpResponse log_unreadable(const std::error_code& ec) {
  // A write's words ("nothing was stored", "the same Idempotency-Key")
  // would mislead a reader: nothing was asked to be stored.
  if (ec == eventlog::Failure::no_owner) {
    return try_again_soon(ApiError{
        503, "no_owner", "no node answers for this part of the log right now (a failover is under way): ask again", ""});
  }
  if (ec == eventlog::Failure::outcome_unknown) {
    return try_again_soon(ApiError{503, "log_unavailable", "the event log did not answer in time: ask again", ""});
  }
  if (ec == eventlog::Failure::unavailable) {
    return try_again_soon(ApiError{503, "log_unavailable", "the event log cannot be reached right now: ask again", ""});
  }
  return error_response(ApiError{503, "log_unavailable", "the event log could not be read: " + ec.message(), ""});
}

// While the log's storage is failing, say why, and that it heals by itself.
HttpResponse log_unavailable(const eventlog::EventLogWriter& log, const std::error_code& ec) {
  const auto cause =
      ec == eventlog::Failure::outcome_unknown || ec == eventlog::Failure::no_owner ? std::string{} : log.write_error();
  if (cause.empty()) return log_unavailable(ec);
  return error_response(ApiError{503, "log_unavailable",
                                 "the event log cannot take writes (" + cause +
                                     "); nothing was accepted; writes resume by themselves once the storage "
                                     "recovers (e.g. disk space is freed)",
                                 ""});
}

std::optional<std::string_view> param(const RequestTarget& t, std::initializer_list<std::string_view> names) {
  for (auto n : names) {
    if (auto v = query_param(t, n)) return v;
  }
  return std::nullopt;
}

boost::system::result<std::uint64_t, ApiError> limit_param(const RequestTarget& t, std::uint64_t def,
                                                           std::uint64_t max) {
  auto v = query_param(t, "limit");
  if (!v) return def;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || ptr != v->data() + v->size() || n < 1 || n > max) {
    return ApiError{400, "invalid_limit", fmt::format("limit is an integer from 1 to {}", max), "limit"};
  }
  return n;
}

boost::system::result<OrderId, ApiError> order_id_param(std::string_view text) {
  auto id = OrderId::parse(text);
  if (!id) return ApiError{400, "invalid_order_id", "order ids are UUIDs like 3f2b…-…", "orderId"};
  return *id;
}

bool is_json_content_type(std::string_view ct) {
  if (ct.empty()) return true;  // curl without -H; the body must still parse as JSON
  const auto semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media == "application/json" || media.ends_with("+json");
}

}  // namespace oee::api
