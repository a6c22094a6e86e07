#pragma once
// What several unit tests of the domain share: the listed tokens they trade,
// one SOL in base units and a fixed wall-clock start. Here once, because the
// test binaries are unity builds, where two files' private copies collide.

#include <chrono>
#include <cstdint>

#include "core/domain/tokens.h"

namespace oee::core {

inline constexpr std::uint64_t kOneSol = 1'000'000'000;

inline TokenId sol() { return token_id("SOL"); }
inline TokenId usdc() { return token_id("USDC"); }
inline std::chrono::system_clock::time_point t0() { return std::chrono::system_clock::from_time_t(1'700'000'000); }

}  // namespace oee::core
