#include "tools/chaos/cluster.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "tools/chaos/http_client.h"

namespace oee::chaos {

NatsServers::NatsServers(std::filesystem::path script, std::filesystem::path dir, std::filesystem::path log)
    : script_(std::move(script)), dir_(std::move(dir)), log_(std::move(log)) {}

int NatsServers::script(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::vector<std::string> argv{"/bin/bash", script_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, log_, timeout);
}

void NatsServers::start() {
  started_ = true;
  if (script({"start", dir_.string(), std::to_string(kNatsServers)}, std::chrono::seconds(120)) != 0) {
    throw std::runtime_error("the NATS servers did not start (" + script_.string() + "):\n" + tail_of(log_));
  }
  std::ifstream in(dir_ / "urls");
  std::getline(in, urls_);
  if (urls_.empty()) throw std::runtime_error("nats_cluster.sh wrote no URLs to " + (dir_ / "urls").string());
  std::ifstream tools(dir_ / "tools-urls");
  std::getline(tools, tools_urls_);
  if (tools_urls_.empty())
    throw std::runtime_error("nats_cluster.sh wrote no tools' URLs to " + (dir_ / "tools-urls").string());
}

bool NatsServers::kill(int index) {
  const bool done = script({"kill", dir_.string(), std::to_string(index + 1)}, std::chrono::seconds(30)) == 0;
  if (done) down_[static_cast<std::size_t>(index)] = true;
  return done;
}

bool NatsServers::resume(int index) {
  const bool done = script({"resume", dir_.string(), std::to_string(index + 1)}, std::chrono::seconds(30)) == 0;
  if (done) down_[static_cast<std::size_t>(index)] = false;
  return done;
}

void NatsServers::stop(bool keep_data) {
  if (!started_) return;
  started_ = false;
  if (script({keep_data ? "halt" : "stop", dir_.string()}, std::chrono::seconds(60)) == 0) return;
  // The script failed: its servers must not outlive the run all the same.
  for (const pid_t pid : pids()) ::kill(pid, SIGKILL);
}

std::filesystem::path NatsServers::server_dir(const std::filesystem::path& dir, int index) {
  return dir / fmt::format("n{}", index + 1);
}

std::vector<pid_t> NatsServers::pids_in(const std::filesystem::path& dir) {
  std::vector<pid_t> out;
  for (int i = 0; i < kNatsServers; ++i) {
    std::ifstream in(server_dir(dir, i) / "pid");
    long pid = 0;
    if (in >> pid && pid > 0) out.push_back(static_cast<pid_t>(pid));
  }
  return out;
}

Cluster::Cluster(const ClusterOptions& options)
    : options_(options), nats_(options.nats_script, options.work_dir / "nats", options.work_dir / "nats.log") {}

Cluster::~Cluster() {
  try {
    stop(false);
  } catch (...) {
  }
}

void Cluster::start() {
  nats_.start();
  for (int i = 0; i < kNodes; ++i) {
    const std::string name = node_name(i);
    // What the run is about: the realistic profile, faster (execution in
    // about a second), with dropped transactions; a lease short enough that
    // a dead or paused node's partitions move within the run.
    std::vector<std::string> args{"--node", name, "--partitions", std::to_string(kPartitions),
                                  "--lease-ttl", fmt::format("{:g}", kLeaseTtlSeconds), "--data-dir", (options_.work_dir / name).string(),
                                  "--sim", "realistic", "--sim-latency-scale", "0.3", "--fail-rate", "0.02",
                                  "--sim-control", "--sim-launch-every", "0", "--log-level", "info"};
    nodes_[static_cast<std::size_t>(i)] =
        std::make_unique<Node>(name, options_.server, std::move(args), Environment{{"OEE_NATS_URL", nats_.urls()}},
                               options_.work_dir / (name + ".log"));
  }
  for (auto& node : nodes_) {
    std::string error;
    if (!node->start(kStartTimeout, error)) throw std::runtime_error(error);
  }
}

bool Cluster::settled(std::chrono::milliseconds timeout) const {
  HttpClient http(std::chrono::seconds(5));
  const auto executed = [&](const Node& node) -> std::size_t {
    const auto res = http.get(node.port(), "/api/cluster");
    const auto body = res.status == 200 ? res.json() : std::nullopt;
    if (!body || !body->is_object()) return 0;
    const auto* here = body->as_object().if_contains("executedHere");
    return here != nullptr && here->is_array() ? here->as_array().size() : 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (executed(node(0)) == kPartitions / 2 && executed(node(1)) == kPartitions / 2) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

std::vector<std::string> Cluster::reap_exits() {
  std::vector<std::string> out;
  for (auto& node : nodes_) {
    if (!node) continue;
    if (const auto status = node->ended()) {
      out.push_back("node " + node->name() + " exited by itself with status " + std::to_string(*status) + " (log " +
                    node->log().string() + ")");
      exits_.push_back(out.back());
    }
  }
  return out;
}

bool Cluster::bring_back(std::string& error) {
  bool ok = true;
  reap_exits();
  for (auto& node : nodes_) {
    if (node && node->paused()) node->cont();
  }
  for (int i = 0; i < kNatsServers; ++i) {
    if (!nats_.down(i)) continue;
    bool up = false;
    for (int attempt = 0; attempt < 3 && !up; ++attempt) up = nats_.resume(i);
    if (!up) {
      ok = false;
      error += fmt::format("NATS server n{} does not start again:\n{}\n", i + 1,
                           tail_of(NatsServers::server_dir(nats_.dir(), i) / "server.log"));
    }
  }
  for (auto& node : nodes_) {
    if (!node || node->running()) continue;
    std::string why;
    if (!restart(*node, why)) {
      ok = false;
      error += why + "\n";
    }
  }
  return ok;
}

bool Cluster::restart(Node& node, std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    if (node.start(kStartTimeout, error)) return true;
    if (std::chrono::steady_clock::now() + std::chrono::seconds(1) >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void Cluster::stop(bool keep_nats_data) {
  for (auto& node : nodes_) {
    if (node) node->stop(std::chrono::seconds(10));
  }
  nats_.stop(keep_nats_data);
}

}  // namespace oee::chaos
