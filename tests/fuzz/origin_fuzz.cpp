// The Origin header against the CORS policies: any bytes get an answer,
// and an origin a policy names exactly is always allowed by it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http/cors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view origin(reinterpret_cast<const char*>(data), size);
  static const auto loopback = oee::api::CorsPolicy::loopback();
  (void)loopback.allows(origin);
  // The same bytes as a --cors-origins list, then as its only entry.
  (void)oee::api::CorsPolicy::parse(origin);
  if (origin.find(',') == std::string_view::npos && origin.find('*') == std::string_view::npos) {
    const auto exact = oee::api::CorsPolicy::parse(origin);
    const auto trimmed = origin.find_first_not_of(" \t") == 0 && origin.find_last_not_of(" \t") == origin.size() - 1;
    if (exact && trimmed && !exact->allows(origin)) __builtin_trap();
  }
  return 0;
}
