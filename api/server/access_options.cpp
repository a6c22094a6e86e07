// oee-server's options by role (option_roles.h): who may do what.
#include "api/server/option_roles.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "api/auth/key_secret.h"

namespace oee::api::options {

namespace {

constexpr auto kHeading = "Access";

// A key kept in a file: its first line, without the line's end or blanks
// around it; nullopt and `error` set if there is none.
std::optional<std::string> read_key_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) {
    error = fmt::format("{} holds no key on its first line", path);
    return std::nullopt;
  }
  return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

class AccessOptions final : public OptionRole {
 public:
  void add(CLI::App& cli, ServerOptions& o) override {
    cli.option_defaults()->group(kHeading);
    cli.add_option("--admin-key", o.admin_key,
                   "Turns authentication on: the key that may do everything, and create scoped API keys "
                   "(POST /api/keys). 32 random bytes as 64 hex digits (openssl rand -hex 32) or base64; runs, repeats "
                   "and other patterns are refused. Prefer OEE_ADMIN_KEY or a file to the command line, which ps "
                   "shows. A gateway takes its core's, "
                   "to learn the core's API keys")
        ->envname("OEE_ADMIN_KEY");
    cli.add_option("--admin-key-file", admin_key_file_,
                   "Reads the admin key from this file (its first line), out of sight of ps and the shell's "
                   "history; instead of --admin-key")
        ->envname("OEE_ADMIN_KEY_FILE");
    cli.add_option("--metrics-token", o.metrics_token,
                   "With --admin-key: a bearer token that may read /metrics and nothing else, for a Prometheus "
                   "scraper (besides the admin key: /metrics shows every key's figures); as strong as an admin key")
        ->envname("OEE_METRICS_TOKEN");
    cli.add_option("--max-recurring-per-key", o.max_recurring_per_key,
                   "Active recurring orders one API key may have at once, together with the keys made under the same "
                   "key the admin key made; another gets 429 too_many_recurring (0: no cap). Each of their slices is "
                   "also one write of the key's rate limit")
        ->envname("OEE_MAX_RECURRING_PER_KEY")
        ->capture_default_str();
    cli.add_option("--max-keys-per-key", o.max_keys_per_key,
                   "Keys a key with keys:admin may make, together with every key made under it, revoked ones "
                   "included (each is kept in every node's memory); another gets 429 too_many_keys (0: no cap). The "
                   "admin key may make any number")
        ->envname("OEE_MAX_KEYS_PER_KEY")
        ->capture_default_str();
    cli.add_option("--auth", auth_,
                   "auto: authentication is on with --admin-key; off: serve without it even on a non-loopback "
                   "--bind (anyone who reaches the port can trade)")
        ->envname("OEE_AUTH")->check(CLI::IsMember({"auto", "off"}))->capture_default_str();
  }

  std::optional<std::string> finish(const CLI::App&, ServerOptions& o) override {
    o.auth_off = auth_ == "off";
    if (!admin_key_file_.empty()) {
      if (!o.admin_key.empty()) return std::string("--admin-key and --admin-key-file: give one of them");
      std::string error;
      auto key = read_key_file(admin_key_file_, error);
      if (!key) return "--admin-key-file: " + error;
      o.admin_key = std::move(*key);
    }
    return std::nullopt;
  }

 private:
  std::string admin_key_file_;
  std::string auth_ = "auto";
};

}  // namespace

std::unique_ptr<OptionRole> access_options() { return std::make_unique<AccessOptions>(); }

std::optional<std::string> check_access_options(const ServerOptions& o) {
  if (!o.admin_key.empty()) {
    if (o.auth_off) return std::string("--auth off and --admin-key contradict each other; give one of them");
    if (auto weak = admin_key_weakness(o.admin_key)) return "--admin-key: " + *weak;
    if (!o.metrics_token.empty()) {
      if (auto weak = admin_key_weakness(o.metrics_token)) return "--metrics-token: " + *weak;
      if (o.metrics_token == o.admin_key) return std::string("--metrics-token must not be the admin key");
    }
    return std::nullopt;
  }
  if (!o.metrics_token.empty()) return std::string("--metrics-token needs --admin-key: without it /metrics is open");
  if (o.sim_control && !is_loopback_address(o.server.bind)) {
    return "--sim-control lets whoever reaches the server set prices: without --admin-key it is for a loopback "
           "--bind only";
  }
  if (!o.auth_off && !is_loopback_address(o.server.bind)) {
    return "--bind " + o.server.bind +
           " is reachable from other machines, and without --admin-key (OEE_ADMIN_KEY) anyone who reaches it could "
           "submit and read orders. Give --admin-key, or --auth off to serve without authentication on purpose";
  }
  return std::nullopt;
}

}  // namespace oee::api::options
