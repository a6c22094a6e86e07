// oee-server's command line as an operator gives it: --default-pair takes
// a pair both venues pool, from the flag or the environment, and anything
// else stops the server before it starts, saying what is wrong.

#include "api/server/server_options.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace oee::api {
namespace {

struct Parsed {
  std::optional<int> exit;  // nullopt: the server would start
  ServerOptions options;
  std::string err;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "oee-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Parsed p;
  ::testing::internal::CaptureStderr();
  p.exit = parse_server_options(static_cast<int>(argv.size()), argv.data(), p.options);
  p.err = ::testing::internal::GetCapturedStderr();
  return p;
}

// Sets an environment variable for one test's life.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ServerOptionsDefaultPair, NoneUnlessGiven) {
  ::unsetenv("OEE_DEFAULT_PAIR");
  const auto p = parse({});
  EXPECT_FALSE(p.exit) << p.err;
  EXPECT_FALSE(p.options.default_pair);
}

TEST(ServerOptionsDefaultPair, TakesAPairFromTheFlagInAnyCase) {
  ::unsetenv("OEE_DEFAULT_PAIR");
  for (const auto& [given, input, output] : {std::tuple{"SOL/USDC", "SOL", "USDC"}, std::tuple{"sol/usdc", "SOL", "USDC"},
                                             std::tuple{"USDC/SOL", "USDC", "SOL"}, std::tuple{"BONK/SOL", "BONK", "SOL"}}) {
    SCOPED_TRACE(given);
    const auto p = parse({"--default-pair", given});
    ASSERT_FALSE(p.exit) << p.err;
    ASSERT_TRUE(p.options.default_pair);
    EXPECT_EQ(p.options.default_pair->input.symbol(), input);
    EXPECT_EQ(p.options.default_pair->output.symbol(), output);
  }
}

TEST(ServerOptionsDefaultPair, TakesAPairFromTheEnvironment) {
  const ScopedEnv env("OEE_DEFAULT_PAIR", "USDT/SOL");
  const auto p = parse({});
  ASSERT_FALSE(p.exit) << p.err;
  ASSERT_TRUE(p.options.default_pair);
  EXPECT_EQ(pair_name(*p.options.default_pair), "USDT/SOL");
  const auto flag = parse({"--default-pair", "SOL/USDC"});
  ASSERT_TRUE(flag.options.default_pair);
  EXPECT_EQ(pair_name(*flag.options.default_pair), "SOL/USDC") << "the flag wins over the environment";
}

TEST(ServerOptionsDefaultPair, RefusesToStartWithAPairItCannotTrade) {
  ::unsetenv("OEE_DEFAULT_PAIR");
  struct Case {
    const char* given;
    const char* says;  // a part of the message
  };
  for (const auto& [given, says] : {Case{"SOL", "IN/OUT"}, Case{"SOL/USDC/X", "IN/OUT"}, Case{"", "IN/OUT"},
                                    Case{"SOL/NOPE", "unknown token 'NOPE'"}, Case{"NOPE/USDC", "unknown token 'NOPE'"},
                                    Case{"/USDC", "unknown token ''"}, Case{"SOL/", "unknown token ''"},
                                    Case{" SOL/USDC", "unknown token ' SOL'"}, Case{"SOL/SOL", "names SOL twice"},
                                    Case{"sol/SOL", "names SOL twice"}, Case{"BONK/JUP", "no venue pools BONK with JUP"}}) {
    SCOPED_TRACE(given);
    const auto p = parse({"--default-pair", given});
    ASSERT_TRUE(p.exit);
    EXPECT_NE(*p.exit, 0);
    EXPECT_NE(p.err.find("--default-pair"), std::string::npos) << p.err;
    EXPECT_NE(p.err.find(says), std::string::npos) << p.err;
  }
}

}  // namespace
}  // namespace oee::api
