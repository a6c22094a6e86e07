#include "api/http/cors.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace oee::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "scheme://host[:port]" split at the port's colon: a bracketed IPv6 host
// keeps its own colons.
bool split_origin(std::string_view origin, std::string_view& scheme_host, std::string_view& port) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  const auto host_start = scheme_end + 3;
  if (host_start >= origin.size()) return false;
  const auto host_end = origin[host_start] == '[' ? origin.find(']', host_start) : origin.find(':', host_start);
  if (origin[host_start] == '[' && host_end == std::string_view::npos) return false;
  const auto colon = origin[host_start] == '[' ? host_end + 1 : host_end;
  if (colon >= origin.size()) {
    scheme_host = origin;
    port = {};
  } else {
    if (origin[colon] != ':') return false;
    scheme_host = origin.substr(0, colon);
    port = origin.substr(colon + 1);
  }
  return scheme_host.find('/', host_start) == std::string_view::npos;
}

}  // namespace

std::optional<CorsPolicy> CorsPolicy::parse(std::string_view list, std::string* error) {
  CorsPolicy policy;
  auto fail = [&](std::string why) -> std::optional<CorsPolicy> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  while (true) {
    const auto comma = list.find(',');
    const auto entry = trim(list.substr(0, comma));
    if (entry == "*") {
      policy.any_ = true;
    } else if (!entry.empty()) {
      std::string_view scheme_host;
      std::string_view port;
      if (!split_origin(entry, scheme_host, port) || (!port.empty() && port != "*" && !all_digits(port))) {
        return fail(fmt::format("'{}' is not an origin: write scheme://host or scheme://host:port (the port may "
                                "be *), or * for any origin",
                                entry));
      }
      policy.patterns_.push_back(Pattern{lower(scheme_host), std::string(port)});
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (!policy.any_ && policy.patterns_.empty()) return fail("the list of origins is empty");
  return policy;
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (any_) return true;
  std::string_view scheme_host;
  std::string_view port;
  if (!split_origin(origin, scheme_host, port) || (!port.empty() && !all_digits(port))) return false;
  const auto host = lower(scheme_host);
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const Pattern& p) {
    return p.scheme_host == host && (p.port == "*" || p.port == port);
  });
}

}  // namespace oee::api
