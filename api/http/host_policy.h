#pragma once
// Which Host names a server answers while authentication is off. A page on
// another site can have its own name re-pointed at 127.0.0.1 (DNS
// rebinding): its requests then reach a loopback server under that site's
// name, and the browser lets the page read the answers, since to it they
// come from its own origin. So without keys, only loopback names, IP
// literals (no name to re-point) and names the operator allows are served.

#include <string>
#include <string_view>
#include <vector>

namespace oee::api {

class HostPolicy {
 public:
  /// Every Host (authentication is on: a key guards every read).
  static HostPolicy any() { return HostPolicy(false, {}); }
  /// localhost and *.localhost, IP literals, and `names` (host names,
  /// without a port; compared without regard to case).
  static HostPolicy loopback_and(std::vector<std::string> names);

  /// Whether a request with this Host header (name or address, with or
  /// without a port) is answered. An absent Host (HTTP/1.0) is: only
  /// browsers matter here, and they always send one.
  [[nodiscard]] bool allows(std::string_view host_header) const;
  [[nodiscard]] bool checks() const { return checks_; }

 private:
  HostPolicy(bool checks, std::vector<std::string> names) : checks_(checks), names_(std::move(names)) {}
  bool checks_;
  std::vector<std::string> names_;  // lower case
};

}  // namespace oee::api
