#pragma once
// The processes a chaos run starts: any command (its output appended to a
// file of the work directory), and an oee-server node that can be killed,
// paused and started again under the same name.
//
// Lifecycle: a ChildProcess is SIGKILLed and reaped when destroyed, so no
// path out of the tool leaves one behind; every live pid is also listed
// for kill_all_children(), the last resort after a second SIGINT.
// Threading: start, stop and wait belong to one thread (the main one,
// which lives as long as the run); port() and running() may be read from
// any thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oee::chaos {

/// Variables set for a child on top of oee-chaos's own environment: where
/// secrets go (a process's environment is its user's alone to read, its
/// command line anyone's, in `ps`).
using Environment = std::vector<std::pair<std::string, std::string>>;

class ChildProcess {
 public:
  /// Starts argv[0] (a path) with stdout and stderr appended to `log`, in
  /// a process group of its own: a terminal's Ctrl-C reaches only
  /// oee-chaos, which then stops everything in order. Throws if it cannot
  /// fork.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log, const Environment& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int sig) const;
  /// Its exit status (-signal if a signal ended it) once it has ended,
  /// waiting up to `timeout`; nothing while it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool exited() const { return pid_ <= 0; }

 private:
  pid_t pid_ = -1;
};

/// Runs a command to its end with its output appended to `log`; its exit
/// status, or -signal. After `timeout`, or once `*stop` is set, it is
/// killed and -SIGKILL returned.
int run_command(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::chrono::milliseconds timeout, const std::atomic<bool>* stop = nullptr, const Environment& env = {});

/// SIGKILL to every child still running: for the path that cannot wait.
void kill_all_children();

/// The last `bytes` of a file (for messages quoting a log).
[[nodiscard]] std::string tail_of(const std::filesystem::path& file, std::size_t bytes = 2000);

/// One oee-server node of the cluster, on a free port (--port 0) chosen
/// anew at each start; its output goes to `log`, each start marked there.
class Node {
 public:
  Node(std::string name, std::filesystem::path server, std::vector<std::string> args, Environment env,
       std::filesystem::path log);

  /// Starts it and waits up to `timeout` for its LISTENING line; false with
  /// the reason (and the log's tail) in `error`.
  bool start(std::chrono::milliseconds timeout, std::string& error);
  /// kill -9, and reaped: it is down until the next start.
  void kill9();
  void pause();
  void cont();
  /// The exit status if the process ended though nobody stopped it (then
  /// it is down, as after kill9); nothing while it runs.
  std::optional<int> ended();
  /// SIGCONT and SIGTERM, then SIGKILL if it has not ended within `grace`.
  void stop(std::chrono::milliseconds grace);

  [[nodiscard]] const std::string& name() const { return name_; }
  /// The port it listens on; 0 while it is down.
  [[nodiscard]] unsigned short port() const { return port_.load(); }
  [[nodiscard]] bool running() const { return port_.load() != 0; }
  [[nodiscard]] bool paused() const { return paused_; }
  [[nodiscard]] pid_t pid() const { return child_ ? child_->pid() : -1; }
  [[nodiscard]] const std::filesystem::path& log() const { return log_; }

 private:
  std::string name_;
  std::filesystem::path server_;
  std::vector<std::string> args_;
  Environment env_;
  std::filesystem::path log_;
  std::unique_ptr<ChildProcess> child_;
  std::atomic<unsigned short> port_{0};
  bool paused_ = false;
  int starts_ = 0;
};

}  // namespace oee::chaos
