#include "api/http/host_policy.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace oee::api {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The host of a Host header: "[::1]:3000" → "::1", "Example.com.:80" →
// "example.com".
std::string host_of(std::string_view header) {
  if (header.starts_with('[')) {
    const auto end = header.find(']');
    return end == std::string_view::npos ? std::string(header) : std::string(header.substr(1, end - 1));
  }
  if (const auto colon = header.rfind(':'); colon != std::string_view::npos) {
    const auto port = header.substr(colon + 1);
    if (std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
      header = header.substr(0, colon);
  }
  if (header.ends_with('.')) header.remove_suffix(1);
  return lower(header);
}

}  // namespace

HostPolicy HostPolicy::loopback_and(std::vector<std::string> names) {
  for (auto& n : names) n = host_of(n);
  std::erase_if(names, [](const std::string& n) { return n.empty(); });
  return HostPolicy(true, std::move(names));
}

bool HostPolicy::allows(std::string_view header) const {
  if (!checks_ || header.empty()) return true;
  const auto host = host_of(header);
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (!ec) return true;
  return std::find(names_.begin(), names_.end(), host) != names_.end();
}

}  // namespace oee::api
