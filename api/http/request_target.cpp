#include "api/http/request_target.h"

#include <charconv>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

namespace oee::api {

boost::system::result<RequestTarget, ApiError> parse_request_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return ApiError{400, "invalid_target", "the request target is not a valid URL", ""};
  RequestTarget t;
  t.segments.reserve(url->segments().size());
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

std::optional<std::string_view> query_param(const RequestTarget& target, std::string_view name) {
  if (auto it = target.params.find(name); it != target.params.end()) return it->second;
  return std::nullopt;
}

ApiError from_seq_error() {
  return ApiError{400, "invalid_from_seq", fmt::format("fromSeq must be an integer between 0 and {}", kMaxFromSeq),
                  "fromSeq"};
}

boost::system::result<std::uint64_t, ApiError> parse_from_seq(std::string_view text) {
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size() || n > kMaxFromSeq) return from_seq_error();
  return n;
}

boost::system::result<eventlog::Position, ApiError> parse_position(std::string_view text, bool partitioned,
                                                                   std::uint32_t partitions) {
  if (!partitioned) {
    auto n = parse_from_seq(text);
    if (!n) return n.error();
    eventlog::Position out;
    out.set(PartitionId{0}, Seq{*n == 0 ? 0 : *n - 1});
    return out;
  }
  if (auto position = eventlog::Position::parse_next(text, true, partitions)) return *position;
  return ApiError{400, "invalid_from_seq",
                  fmt::format("in a cluster, fromSeq of every order is a position: partition:seq pairs, comma "
                              "separated (e.g. 0:17,3:250), each partition below {} once",
                              partitions),
                  "fromSeq"};
}

}  // namespace oee::api
