#pragma once
// PartitionId in fmt and spdlog messages, written as its number.

#include <cstdint>

#include <fmt/format.h>

#include "eventlog/types.h"

template <>
struct fmt::formatter<oee::PartitionId> : fmt::formatter<std::uint32_t> {
  template <typename FormatContext>
  auto format(const oee::PartitionId& p, FormatContext& ctx) const {
    return fmt::formatter<std::uint32_t>::format(p.value, ctx);
  }
};
