#pragma once
// What a chaos run runs against: three nats-server processes clustered
// with each other (tools/nats_cluster.sh) and two oee-server nodes, a and
// b, on them, every file under the run's work directory.
//
// Lifecycle: start() brings everything up; bring_back() undoes whatever a
// fault left down or paused; stop() ends every process, keeping the NATS
// data only when asked (a failed run's evidence).
// Threading: one thread (the main one) starts, stops and injects faults;
// the nodes' ports may be read from any thread.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/chaos/processes.h"

namespace oee::chaos {

inline constexpr int kNatsServers = 3;
inline constexpr int kNodes = 2;
inline constexpr int kPartitions = 4;
inline constexpr double kLeaseTtlSeconds = 2;

/// "a", "b": a node's name by its index.
[[nodiscard]] inline const char* node_name(int node) { return node == 0 ? "a" : "b"; }

/// The NATS servers, through tools/nats_cluster.sh.
class NatsServers {
 public:
  NatsServers(std::filesystem::path script, std::filesystem::path dir, std::filesystem::path log);
  /// Starts kNatsServers servers; throws with the script's output if they do not come up.
  void start();
  /// kill -9 of server `index` (0-based), keeping its data.
  bool kill(int index);
  /// Starts server `index` again on its data.
  bool resume(int index);
  /// Every server still alive ends; `keep_data`: its files stay in the work directory.
  void stop(bool keep_data);
  [[nodiscard]] bool down(int index) const { return down_[static_cast<std::size_t>(index)]; }
  /// Every server's URL, credentials included, comma-separated (--nats).
  [[nodiscard]] const std::string& urls() const { return urls_; }
  /// The same for the tools' user, which reads and may not write.
  [[nodiscard]] const std::string& tools_urls() const { return tools_urls_; }
  /// The servers' pids as their pid files say: for the cleanup that cannot run the script.
  [[nodiscard]] std::vector<pid_t> pids() const { return pids_in(dir_); }
  [[nodiscard]] static std::vector<pid_t> pids_in(const std::filesystem::path& dir);
  /// Server `index`'s files (its pid file, server.log, its JetStream data).
  [[nodiscard]] static std::filesystem::path server_dir(const std::filesystem::path& dir, int index);
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  int script(const std::vector<std::string>& args, std::chrono::seconds timeout);

  std::filesystem::path script_;
  std::filesystem::path dir_;
  std::filesystem::path log_;
  std::string urls_;
  std::string tools_urls_;
  std::array<bool, kNatsServers> down_{};
  bool started_ = false;
};

struct ClusterOptions {
  std::filesystem::path server;       // oee-server
  std::filesystem::path nats_script;  // tools/nats_cluster.sh
  std::filesystem::path work_dir;
};

class Cluster {
 public:
  explicit Cluster(const ClusterOptions& options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// NATS, then both nodes; throws with the reason if something does not come up.
  void start();
  /// Whether both nodes come to execute kPartitions / 2 partitions each within `timeout`.
  bool settled(std::chrono::milliseconds timeout) const;
  /// Every paused node continued, every NATS server and node that is down
  /// started again (a few tries each); false with the reasons in `error`.
  bool bring_back(std::string& error);
  /// Nodes whose process ended though no fault stopped it (a crash): each
  /// is down from then on, named once here and kept in exits().
  std::vector<std::string> reap_exits();
  [[nodiscard]] const std::vector<std::string>& exits() const { return exits_; }
  /// SIGTERM to the nodes (SIGKILL after a grace), then the NATS servers.
  void stop(bool keep_nats_data);

  /// Starts `node` again as a supervisor would: a node that cannot read
  /// the cluster yet (a NATS server restarting, an election) exits at once,
  /// and is started again a second later, until a start listens or
  /// kStartTimeout has passed; false with the last reason in `error`.
  static bool restart(Node& node, std::string& error);

  [[nodiscard]] Node& node(int index) { return *nodes_[static_cast<std::size_t>(index)]; }
  [[nodiscard]] const Node& node(int index) const { return *nodes_[static_cast<std::size_t>(index)]; }
  [[nodiscard]] NatsServers& nats() { return nats_; }
  [[nodiscard]] const NatsServers& nats() const { return nats_; }

  /// How long a node may take to start.
  static constexpr std::chrono::seconds kStartTimeout{45};

 private:
  ClusterOptions options_;
  NatsServers nats_;
  std::array<std::unique_ptr<Node>, kNodes> nodes_;
  std::vector<std::string> exits_;
};

}  // namespace oee::chaos
