#pragma once
// Prometheus text format for one unlabelled metric, shared by every
// module that renders /metrics (histograms render themselves).

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace oee {

/// Appends a metric's HELP and TYPE lines and its value.
template <typename Value>
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   const Value& value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace oee
