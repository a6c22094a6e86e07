#pragma once
// oee-server's options, by role: each role adds its flags to the command
// line, under a heading of its own in --help, and once the line is parsed
// completes ServerOptions from what it read, or says why the server cannot
// start. parse_server_options (server_options.cpp) runs them in turn.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "api/server/server_options.h"

namespace oee::api::options {

class OptionRole {
 public:
  virtual ~OptionRole() = default;
  virtual void add(CLI::App& cli, ServerOptions& o) = 0;
  /// After parsing; the roles finish in the order parse_server_options
  /// runs them, so a role may read what an earlier one completed.
  [[nodiscard]] virtual std::optional<std::string> finish(const CLI::App& cli, ServerOptions& o) = 0;
};

/// What this process is and where its data lives: --data-dir, --role and a
/// gateway's core, Redis, PostgreSQL, the log's durability and memory.
[[nodiscard]] std::unique_ptr<OptionRole> storage_options();
/// The HTTP and WebSocket server: address, threads, limits, timeouts,
/// CORS, hosts, TLS, the log level.
[[nodiscard]] std::unique_ptr<OptionRole> serving_options();
/// Who may do what: the admin key, the metrics token, per-key caps.
[[nodiscard]] std::unique_ptr<OptionRole> access_options();
/// The simulated market and chain, and the executor's pace.
[[nodiscard]] std::unique_ptr<OptionRole> simulation_options();
/// Cluster mode (--nats) and its test probes.
[[nodiscard]] std::unique_ptr<OptionRole> cluster_options();

/// Why the access options cannot start a server, if they cannot (they
/// depend on --bind and --sim-control as well).
[[nodiscard]] std::optional<std::string> check_access_options(const ServerOptions& o);

/// An option that takes one of a few values by the name `name_of` gives it,
/// the one spelling the server also logs and reports; the help shows the
/// names and the default by name.
template <class Enum>
CLI::Option* add_choice(CLI::App& cli, const std::string& flag, Enum& target, std::vector<Enum> values,
                        std::string_view (*name_of)(Enum), const std::string& help) {
  std::vector<std::string> names;
  for (const Enum value : values) names.emplace_back(name_of(value));
  return cli
      .add_option_function<std::string>(
          flag,
          [&target, values, name_of](const std::string& text) {
            for (const Enum value : values) {
              if (name_of(value) == text) target = value;
            }
          },
          help)
      ->check(CLI::IsMember(names))
      ->default_str(std::string(name_of(target)));
}

}  // namespace oee::api::options
