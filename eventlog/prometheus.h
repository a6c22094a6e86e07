#pragma once
// The Prometheus text format, shared by every module that renders /metrics:
// each metric's HELP and TYPE lines once, then its samples.

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace oee::metrics {

/// `# HELP name help` and `# TYPE name type`.
inline void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
}

/// One sample: `name{labels} value`; `labels` is `key="value",...` or empty.
template <typename Value>
void append_sample(std::string& out, std::string_view name, std::string_view labels, const Value& value) {
  if (labels.empty()) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  } else {
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
  }
}

/// An unlabelled metric: its header and its one sample.
template <typename Value>
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   const Value& value) {
  append_header(out, name, type, help);
  append_sample(out, name, {}, value);
}

}  // namespace oee::metrics
