#pragma once
// A request target (path and query) as the routes read it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "eventlog/position.h"

namespace oee::api {

struct RequestTarget {
  std::vector<std::string> segments;  // decoded, empty ones dropped
  std::map<std::string, std::string, std::less<>> params;
};

/// Errors (400): `invalid_target` for a target that is not an origin-form
/// URL; `duplicate_field` for a query parameter given twice (which one
/// would count is anyone's guess, so neither does).
[[nodiscard]] boost::system::result<RequestTarget, ApiError> parse_request_target(std::string_view target);

/// The value of query parameter `name`, if given.
[[nodiscard]] std::optional<std::string_view> query_param(const RequestTarget& target, std::string_view name);

/// The largest fromSeq accepted anywhere (REST, WebSocket, the core a
/// gateway asks): the largest i64.
inline constexpr std::uint64_t kMaxFromSeq = 9'223'372'036'854'775'807ULL;

/// The error for a fromSeq out of [0, kMaxFromSeq], wherever it was given.
[[nodiscard]] ApiError from_seq_error();

/// fromSeq as text (a query parameter): an integer in [0, kMaxFromSeq].
[[nodiscard]] boost::system::result<std::uint64_t, ApiError> parse_from_seq(std::string_view text);

/// A fromSeq of every order's events (eventlog/position.h): a seq in the
/// embedded log, p:seq[,p:seq...] in a cluster's, where a bare number is
/// refused (seqs of different partitions do not compare).
[[nodiscard]] boost::system::result<eventlog::Position, ApiError> parse_position(std::string_view text,
                                                                                 bool partitioned,
                                                                                 std::uint32_t partitions);

}  // namespace oee::api
