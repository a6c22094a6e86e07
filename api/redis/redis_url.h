#pragma once
// Where the live stream's Redis is: parsed from REDIS_URL
// (redis://[[user]:password@]host[:port][/db]).

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace oee::api {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user;      // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
};

/// Errors name the part of the URL that is wrong.
[[nodiscard]] boost::system::result<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

/// The URL without its password, for logs and /health.
[[nodiscard]] std::string redacted(const RedisEndpoint& endpoint);

}  // namespace oee::api
