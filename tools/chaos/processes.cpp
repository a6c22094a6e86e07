#include "tools/chaos/processes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace oee::chaos {

namespace {

std::mutex live_mu;
std::set<pid_t> live;  // children not yet reaped

void forget(pid_t pid) {
  std::lock_guard lock(live_mu);
  live.erase(pid);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log,
                           const Environment& env) {
  // Everything the child needs is made before the fork: between fork and
  // exec a multi-threaded process may only make system calls.
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (auto& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  std::vector<std::string> variables;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (std::none_of(env.begin(), env.end(), [&](const auto& v) { return v.first == name; }))
      variables.emplace_back(entry);
  }
  for (const auto& [name, value] : env) variables.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + log.string() + ": " + std::strerror(errno));
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  std::lock_guard lock(live_mu);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    if (in >= 0) ::close(in);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // oee-chaos takes its signals on a thread of its own, with them blocked
    // everywhere else; a child must not inherit that mask, or it would
    // never hear the SIGTERM that stops it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);
    // Should oee-chaos itself be killed -9 (a test's timeout), its nodes go
    // with it. Children are started by the main thread, which lives as
    // long as the tool, so the signal is not sent early.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::execve(raw[0], raw.data(), envp.data());
    const char msg[] = "oee-chaos: exec failed\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(out);
  if (in >= 0) ::close(in);
  pid_ = pid;
  live.insert(pid);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  forget(pid_);
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno == ECHILD)) {
      forget(pid_);
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int run_command(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::chrono::milliseconds timeout, const std::atomic<bool>* stop, const Environment& env) {
  ChildProcess child(argv, log, env);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && (stop == nullptr || !stop->load())) {
    if (const auto status = child.wait(std::chrono::milliseconds(100))) return *status;
  }
  child.signal(SIGKILL);
  child.wait(std::chrono::seconds(10));
  return -SIGKILL;
}

void kill_all_children() {
  std::lock_guard lock(live_mu);
  for (const pid_t pid : live) ::kill(pid, SIGKILL);
}

std::string tail_of(const std::filesystem::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t from = size > bytes ? size - bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

Node::Node(std::string name, std::filesystem::path server, std::vector<std::string> args, Environment env,
           std::filesystem::path log)
    : name_(std::move(name)),
      server_(std::move(server)),
      args_(std::move(args)),
      env_(std::move(env)),
      log_(std::move(log)) {}

namespace {

// The port of the first "LISTENING host:port" line in `text`, if a whole one is there.
std::optional<unsigned short> listening_port(const std::string& text) {
  std::size_t at = text.rfind("LISTENING ", 0) == 0 ? 0 : text.find("\nLISTENING ");
  if (at == std::string::npos) return std::nullopt;
  if (text[at] == '\n') ++at;
  const auto eol = text.find('\n', at);
  if (eol == std::string::npos) return std::nullopt;
  const std::string line = text.substr(at, eol - at);
  const auto colon = line.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    const int port = std::stoi(line.substr(colon + 1));
    if (port > 0 && port < 65536) return static_cast<unsigned short>(port);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string read_from(const std::filesystem::path& file, std::uintmax_t offset) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool Node::start(std::chrono::milliseconds timeout, std::string& error) {
  if (child_) kill9();
  ++starts_;
  {
    std::ofstream mark(log_, std::ios::app);
    mark << "--- oee-chaos: start " << starts_ << " of node " << name_ << " ---\n";
  }
  std::error_code ec;
  const auto offset = std::filesystem::file_size(log_, ec);
  std::vector<std::string> argv{server_.string()};
  argv.insert(argv.end(), args_.begin(), args_.end());
  argv.insert(argv.end(), {"--port", "0"});
  child_ = std::make_unique<ChildProcess>(argv, log_, env_);
  paused_ = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto port = listening_port(read_from(log_, ec ? 0 : offset))) {
      port_.store(*port);
      return true;
    }
    if (const auto status = child_->wait(std::chrono::milliseconds(0))) {
      error = "node " + name_ + " exited with status " + std::to_string(*status) + " while starting:\n" + tail_of(log_);
      child_.reset();
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      error = "node " + name_ + " did not listen within " + std::to_string(timeout.count() / 1000) + " s:\n" +
              tail_of(log_);
      kill9();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Node::kill9() {
  port_.store(0);
  paused_ = false;
  child_.reset();  // SIGKILL and reaped
}

std::optional<int> Node::ended() {
  if (!child_) return std::nullopt;
  const auto status = child_->wait(std::chrono::milliseconds(0));
  if (!status) return std::nullopt;
  child_.reset();
  port_.store(0);
  paused_ = false;
  return status;
}

void Node::pause() {
  if (!child_) return;
  child_->signal(SIGSTOP);
  paused_ = true;
}

void Node::cont() {
  if (!child_) return;
  child_->signal(SIGCONT);
  paused_ = false;
}

void Node::stop(std::chrono::milliseconds grace) {
  if (!child_) return;
  port_.store(0);
  child_->signal(SIGCONT);
  child_->signal(SIGTERM);
  if (!child_->wait(grace)) child_->signal(SIGKILL);
  child_.reset();
  paused_ = false;
}

}  // namespace oee::chaos
