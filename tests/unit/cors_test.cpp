#include <gtest/gtest.h>

#include "api/http/cors.h"

namespace oee::api {
namespace {

TEST(Cors, TheDefaultAllowsPagesServedFromThisMachineOnAnyPort) {
  const auto cors = CorsPolicy::loopback();
  for (const char* origin : {"http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "http://localhost",
                             "http://LOCALHOST:5173"}) {
    EXPECT_TRUE(cors.allows(origin)) << origin;
  }
  for (const char* origin : {"https://evil.example", "http://localhost.evil.example:5173", "https://localhost:5173",
                             "http://127.0.0.2:3000", "null", "", "http://localhost:abc", "localhost:5173"}) {
    EXPECT_FALSE(cors.allows(origin)) << origin;
  }
}

TEST(Cors, AListAllowsExactlyItsOriginsAndPorts) {
  std::string error;
  const auto cors = CorsPolicy::parse(" https://app.example.com , http://10.0.0.5:8080,http://dev.local:*", &error);
  ASSERT_TRUE(cors) << error;
  EXPECT_TRUE(cors->allows("https://app.example.com"));
  EXPECT_FALSE(cors->allows("https://app.example.com:8443"));
  EXPECT_FALSE(cors->allows("http://app.example.com"));
  EXPECT_TRUE(cors->allows("http://10.0.0.5:8080"));
  EXPECT_FALSE(cors->allows("http://10.0.0.5:8081"));
  EXPECT_TRUE(cors->allows("http://dev.local:1234"));
  EXPECT_FALSE(cors->allows("http://localhost:5173")) << "a list replaces the loopback default";
}

TEST(Cors, AStarAllowsAnyOriginEvenAFilePage) {
  const auto cors = CorsPolicy::parse("*");
  ASSERT_TRUE(cors);
  EXPECT_TRUE(cors->allows("https://anything.example"));
  EXPECT_TRUE(cors->allows("null"));
}

TEST(Cors, AMalformedListIsRefusedWithAReason) {
  for (const char* list : {"", " , ", "localhost:5173", "http://", "http://host:port", "http://host/path",
                           "http://[::1:80"}) {
    std::string error;
    EXPECT_FALSE(CorsPolicy::parse(list, &error)) << list;
    EXPECT_FALSE(error.empty()) << list;
  }
}

}  // namespace
}  // namespace oee::api
