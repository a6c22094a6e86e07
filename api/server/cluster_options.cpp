// oee-server's options by role (option_roles.h): cluster mode and its test probes.
#include "api/server/option_roles.h"

#include <unistd.h>

#include <charconv>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "eventlog/jetstream/connection.h"
#include "eventlog/position.h"

namespace oee::api::options {

namespace {

constexpr auto kHeading = "Cluster";

/// OEE_TEST_LOSE_ACKS's TYPE:N: an event type and how many of its
/// acknowledgments to drop; nothing if it is not that.
std::optional<std::pair<std::uint8_t, std::uint32_t>> parse_lose_acks(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned type = 0;
  std::uint32_t count = 0;
  const auto t = spec.substr(0, colon);
  const auto n = spec.substr(colon + 1);
  const auto [t_end, t_ec] = std::from_chars(t.data(), t.data() + t.size(), type);
  const auto [n_end, n_ec] = std::from_chars(n.data(), n.data() + n.size(), count);
  if (t.empty() || n.empty() || t_ec != std::errc{} || n_ec != std::errc{} || t_end != t.data() + t.size() ||
      n_end != n.data() + n.size() || type > 255 || count == 0)
    return std::nullopt;
  return std::pair{static_cast<std::uint8_t>(type), count};
}

class ClusterOptions final : public OptionRole {
 public:
  void add(CLI::App& cli, ServerOptions& o) override {
    cli.option_defaults()->group(kHeading);
    cli.add_option("--nats", nats_,
                   "Cluster mode: the NATS JetStream servers, nats://user:password@host:port[,...] (tls:// for TLS); "
                   "the log lives in the cluster instead of --data-dir (docs/SCALING.md). The URLs carry the nodes' "
                   "password: give them in OEE_NATS_URL, which other local users cannot read, not on the command line")
        ->envname("OEE_NATS_URL");
    cli.add_option("--nats-ca", o.nats_ca,
                   "Cluster mode, with tls:// URLs: the CA certificates (PEM) the NATS servers' certificates are checked "
                   "against (default: the system's)")
        ->envname("OEE_NATS_CA");
    cli.add_option("--nats-creds", o.nats_creds, "Cluster mode: a NATS credentials file (JWT and seed) instead of the "
                   "URLs' user and password")
        ->envname("OEE_NATS_CREDS");
    cli.add_option("--node", o.node, "Cluster mode: this node's name, unique in the cluster (default: the host name)")
        ->envname("OEE_NODE");
    cli.add_option("--partitions", o.partitions,
                   "Cluster mode: partitions the orders are spread over; fixed by the cluster's first node. "
                   "As many as the nodes you will run at most, twice that at most: fewer make bigger batches")
        ->envname("OEE_PARTITIONS")->check(CLI::Range(1u, eventlog::kMaxPartitions))->capture_default_str();
    cli.add_option("--lease-ttl", lease_seconds_,
                   "Cluster mode: seconds a node's hold on a partition lasts without renewal; another node takes over "
                   "after it")
        ->envname("OEE_LEASE_TTL")->check(CLI::Range(0.3, 600.0))->capture_default_str();
    cli.add_option("--append-timeout", append_seconds_,
                   "Cluster mode: seconds a submit waits for the cluster's acknowledgment before answering 503")
        ->envname("OEE_APPEND_TIMEOUT")->check(CLI::Range(0.1, 600.0))->capture_default_str();
    cli.add_flag("--fold-all-partitions", o.fold_all_partitions,
                 "Cluster mode: fold every partition here, not only those this node executes (the others are read "
                 "from their owners); costs every node every partition's work, for comparing the two")
        ->envname("OEE_FOLD_ALL_PARTITIONS");
    cli.add_option("--test-lose-acks", lose_acks_,
                   "Tests only: TYPE:N drops the acknowledgment of this cluster node's first N appends of stored "
                   "event type TYPE")
        ->envname("OEE_TEST_LOSE_ACKS")
        ->group("");
    cli.add_option("--test-fail-resumes", o.faults.fail_resumes,
                   "Tests only: this cluster node's first N partition resumes fail")
        ->envname("OEE_TEST_FAIL_RESUMES")
        ->group("");
  }

  std::optional<std::string> finish(const CLI::App&, ServerOptions& o) override {
    if (!lose_acks_.empty()) {
      const auto spec = parse_lose_acks(lose_acks_);
      if (!spec)
        return fmt::format("--test-lose-acks (OEE_TEST_LOSE_ACKS) is TYPE:N, an event type from 0 to 255 and a count "
                           "from 1, not '{}'",
                           lose_acks_);
      std::tie(o.faults.lose_ack_type, o.faults.lose_acks) = *spec;
    }
    o.lease_ttl = std::chrono::milliseconds(static_cast<std::int64_t>(lease_seconds_ * 1000));
    o.append_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(append_seconds_ * 1000));
    if (nats_.empty()) return std::nullopt;
    try {
      o.nats_urls = eventlog::jetstream::parse_urls(nats_);
    } catch (const std::invalid_argument& e) {
      return std::string("--nats: ") + e.what();
    }
    if (o.node.empty()) {
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) o.node = host;
    }
    if (o.node.empty() || o.node.find_first_of(" .*>\t") != std::string::npos)
      return fmt::format("--node: give this node a name without spaces, dots, * or > (got '{}')", o.node);
    return std::nullopt;
  }

 private:
  std::string nats_;
  double lease_seconds_ = 5;
  double append_seconds_ = 10;
  std::string lose_acks_;
};

}  // namespace

std::unique_ptr<OptionRole> cluster_options() { return std::make_unique<ClusterOptions>(); }

}  // namespace oee::api::options
