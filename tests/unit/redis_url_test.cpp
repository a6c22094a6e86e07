#include <gtest/gtest.h>

#include "api/redis/redis_url.h"

namespace oee::api {
namespace {

TEST(RedisUrl, ParsesHostPortPasswordAndDb) {
  auto ep = parse_redis_url("redis://:s3cret@cache.internal:6380/2");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(redacted(*ep), "redis://:***@cache.internal:6380/2");
}

TEST(RedisUrl, DefaultsAndAclUser) {
  auto plain = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());
  auto acl = parse_redis_url("redis://oee:pw@127.0.0.1:7000/");
  ASSERT_TRUE(acl) << acl.error();
  EXPECT_EQ(acl->user, "oee");
  EXPECT_EQ(acl->password, "pw");
  EXPECT_EQ(acl->db, 0);
}

TEST(RedisUrl, RejectsWhatItCannotUseWithAReason) {
  const std::pair<const char*, const char*> bad[] = {
      {"", "not a URL"},
      {"127.0.0.1:6379", "redis://"},
      {"rediss://host:6379", "redis://"},
      {"redis://host:0", "port"},
      {"redis://host:70000", "port"},
      {"redis://host/16", "database"},
      {"redis://host/x", "database"},
      {"redis://host?timeout=1", "query"},
      {"redis://", "host"},
  };
  for (const auto& [url, why] : bad) {
    auto ep = parse_redis_url(url);
    ASSERT_FALSE(ep) << url;
    EXPECT_NE(ep.error().find(why), std::string::npos) << url << ": " << ep.error();
  }
}

}  // namespace
}  // namespace oee::api
