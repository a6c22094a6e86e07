#pragma once
// Which browser origins may call oee (CORS), and whether a WebSocket
// upgrade's origin may open a stream: a page on a site outside the list
// must not ride on a trader's browser (cross-site WebSocket hijacking).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oee::api {

class CorsPolicy {
 public:
  /// The loopback origins on any port: a page served from this machine.
  static constexpr std::string_view kLoopback = "http://localhost:*,http://127.0.0.1:*,http://[::1]:*";

  /// `list`: "*" (any origin), or origins separated by commas, each
  /// "scheme://host" or "scheme://host:port", where the port may be "*".
  /// Returns why the list is malformed, or the policy.
  static std::optional<CorsPolicy> parse(std::string_view list, std::string* error = nullptr);

  /// The policy of kLoopback.
  static CorsPolicy loopback() { return *parse(kLoopback); }

  [[nodiscard]] bool allows(std::string_view origin) const;

  /// Preflight answers.
  static constexpr std::string_view kAllowMethods = "GET, POST, PATCH, DELETE, OPTIONS";
  static constexpr std::string_view kAllowHeaders = "Content-Type, Idempotency-Key, Authorization";
  static constexpr std::string_view kMaxAgeSeconds = "600";

 private:
  struct Pattern {
    std::string scheme_host;  // "http://localhost"
    std::string port;         // "", a number, or "*"
  };
  bool any_ = false;
  std::vector<Pattern> patterns_;
};

}  // namespace oee::api
