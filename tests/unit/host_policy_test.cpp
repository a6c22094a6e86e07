// Which Host names a server without authentication answers (DNS rebinding).

#include <gtest/gtest.h>

#include "api/http/host_policy.h"

namespace oee::api {
namespace {

TEST(HostPolicy, WithoutKeysOnlyLoopbackNamesAddressesAndAllowedNamesAreAnswered) {
  const auto policy = HostPolicy::loopback_and({"Desk.Example.com", "ops.example:8443", ""});
  for (const char* host : {"localhost", "LOCALHOST:3000", "app.localhost:5173", "127.0.0.1", "127.0.0.1:3000",
                           "[::1]:3000", "[::1]", "10.1.2.3:80", "desk.example.com", "DESK.example.com.:443",
                           "ops.example", ""}) {
    EXPECT_TRUE(policy.allows(host)) << host;
  }
  for (const char* host : {"rebind.example", "rebind.example:3000", "localhost.rebind.example", "127.0.0.1.nip.io",
                           "desk.example.com.rebind.example", "[not-an-address]:3000", "example.com"}) {
    EXPECT_FALSE(policy.allows(host)) << host;
  }
}

TEST(HostPolicy, WithKeysEveryNameIsAnswered) {
  EXPECT_TRUE(HostPolicy::any().allows("rebind.example:3000"));
  EXPECT_FALSE(HostPolicy::any().checks());
}

}  // namespace
}  // namespace oee::api
