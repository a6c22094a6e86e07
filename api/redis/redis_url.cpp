#include "api/redis/redis_url.h"

#include <charconv>

#include <boost/url/parse.hpp>

namespace oee::api {

boost::system::result<RedisEndpoint, std::string> parse_redis_url(std::string_view text) {
  auto url = boost::urls::parse_uri(text);
  if (!url) return {boost::system::in_place_error, "REDIS_URL is not a URL (expected redis://[:password@]host[:port][/db])"};
  if (url->scheme() != "redis") return {boost::system::in_place_error, "REDIS_URL must start with redis:// (TLS is not supported)"};
  RedisEndpoint ep;
  if (!url->has_authority() || url->encoded_host().empty()) return {boost::system::in_place_error, "REDIS_URL has no host"};
  ep.host = std::string(url->host_address());
  if (url->has_port()) {
    const auto port = url->port();
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return {boost::system::in_place_error, "REDIS_URL port must be 1-65535"};
    }
    ep.port = static_cast<std::uint16_t>(value);
  }
  if (url->has_userinfo()) {
    ep.user = std::string(url->user());
    if (url->has_password()) ep.password = std::string(url->password());
  }
  std::string_view path = url->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    int db = -1;
    auto [ptr, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || ptr != path.data() + path.size() || db < 0 || db > 15) {
      return {boost::system::in_place_error, "REDIS_URL database (the path) must be a number 0-15"};
    }
    ep.db = db;
  }
  if (url->has_query()) return {boost::system::in_place_error, "REDIS_URL takes no query parameters"};
  return ep;
}

std::string redacted(const RedisEndpoint& ep) {
  std::string out = "redis://";
  if (!ep.user.empty() || !ep.password.empty()) {
    out.append(ep.user);
    out.append(ep.password.empty() ? "@" : ":***@");
  }
  out.append(ep.host);
  out.push_back(':');
  out.append(std::to_string(ep.port));
  if (ep.db != 0) {
    out.push_back('/');
    out.append(std::to_string(ep.db));
  }
  return out;
}

}  // namespace oee::api
