// The server's threads as the kernel schedules them: the log writer and the
// executor run --priority-boost nice levels above the HTTP threads, and
// alike without it.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness.h"

namespace oee::e2e {
namespace {

namespace fs = std::filesystem;

// Thread name -> nice value, from /proc/<pid>/task/*/{comm,stat}.
std::multimap<std::string, int> thread_nice(pid_t pid) {
  std::multimap<std::string, int> out;
  for (const auto& task : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    std::string stat;
    std::getline(std::ifstream(task.path() / "stat"), stat);
    // Fields after the parenthesised name: state is field 3, nice field 19.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 19; ++i) rest >> field;
    int nice = 0;
    rest >> nice;
    out.emplace(comm, nice);
  }
  return out;
}

// The server prints LISTENING before its HTTP threads start, and each
// thread names itself once running and set up (the log writer and the
// executor after their priority): wait until all are there.
std::multimap<std::string, int> started_threads(pid_t pid) {
  std::multimap<std::string, int> threads;
  const bool named = oee::testing::eventually_true(
      [&] {
        threads = thread_nice(pid);
        return threads.count("oee-http") == 2 && threads.count("oee-log-writer") == 1 &&
               threads.count("oee-executor") == 1;
      },
      std::chrono::seconds(10));
  if (!named) throw std::runtime_error("the server's threads did not all start");
  return threads;
}

// Whether this process may lower a nice value, as the server will try to.
bool may_raise_priority() {
  bool permitted = false;
  std::thread probe([&] {
    const auto tid = static_cast<id_t>(::gettid());
    permitted = ::setpriority(PRIO_PROCESS, tid, ::getpriority(PRIO_PROCESS, tid) - 1) == 0;
  });
  probe.join();
  return permitted;
}

int nice_of(const std::multimap<std::string, int>& threads, const std::string& name) {
  auto it = threads.find(name);
  if (it == threads.end()) throw std::runtime_error("no thread named " + name);
  return it->second;
}

TEST(Scheduling, LogWriterAndExecutorRunAboveTheHttpThreads) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--priority-boost", "7"});
  server.start();
  const auto threads = started_threads(server.pid());
  const int http = nice_of(threads, "oee-http");
  if (!may_raise_priority()) {
    // Not permitted here (no CAP_SYS_NICE): the server runs without the boost.
    EXPECT_EQ(nice_of(threads, "oee-log-writer"), http);
    EXPECT_EQ(nice_of(threads, "oee-executor"), http);
  } else {
    EXPECT_EQ(nice_of(threads, "oee-log-writer"), std::max(-20, http - 7));
    EXPECT_EQ(nice_of(threads, "oee-executor"), std::max(-20, http - 7));
  }
}

TEST(Scheduling, ByDefaultEveryThreadRunsAlike) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  const auto threads = started_threads(server.pid());
  const int http = nice_of(threads, "oee-http");
  EXPECT_EQ(nice_of(threads, "oee-log-writer"), http);
  EXPECT_EQ(nice_of(threads, "oee-executor"), http);
}

}  // namespace
}  // namespace oee::e2e
