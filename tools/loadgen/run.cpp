#include "tools/loadgen/run.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace oee::loadgen {

std::optional<HostPort> loopback_url(std::string_view text, std::string_view scheme, std::string& error) {
  auto url = boost::urls::parse_uri(text);
  const std::string secure = std::string(scheme) + "s";
  if (!url || (url->scheme() != scheme && url->scheme() != secure)) {
    error = "expected a " + std::string(scheme) + ":// or " + secure + ":// URL, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  const bool tls = url->scheme() == secure;
  HostPort hp{std::string(url->host_address()), url->has_port() ? std::string(url->port()) : tls ? "443" : "80",
              url->encoded_path().empty() ? "/" : std::string(url->encoded_path()), tls,
              std::string(url->host_address())};
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(hp.host == "localhost" ? "127.0.0.1" : hp.host, ec);
  if (ec || !address.is_loopback()) {
    error = "only loopback targets are allowed (127.0.0.0/8, ::1, localhost), not '" + hp.host + "'";
    return std::nullopt;
  }
  if (hp.host == "localhost") hp.host = "127.0.0.1";
  return hp;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace oee::loadgen
