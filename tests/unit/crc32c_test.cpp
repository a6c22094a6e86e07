#include "eventlog/record_codec.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace oee::eventlog {
namespace {

TEST(Crc32c, StandardCheckValue) {
  // The CRC-32C (Castagnoli) check value from the catalogue of CRC parameters.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c_portable_for_tests("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::mt19937_64 rng(42);
  std::string data(300, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len = 0; len + offset <= data.size(); len += 7) {
      const std::string_view piece(data.data() + offset, len);
      ASSERT_EQ(crc32c(piece), crc32c_portable_for_tests(piece)) << "offset " << offset << " length " << len;
    }
  }
}

}  // namespace
}  // namespace oee::eventlog
