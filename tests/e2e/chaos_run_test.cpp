// oee-chaos as a user runs it: a short run passes, and no process it starts
// carries a NATS password on its command line, which any local user reads
// in `ps`; the nodes and oee-logdump find the URLs in their environment.

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(Chaos, AShortRunPassesWithNoPasswordOnAnyCommandLine) {
  TempDir dir;
  const auto work = dir.path() / "run";
  ChildProcess chaos({kChaos, "--duration", "4", "--clients", "2", "--settle", "120", "--work-dir", work.string(),
                      "--keep"},
                     dir.path().string());
  std::set<std::string> secrets;
  std::set<std::string> nodes_seen;  // their command lines: the scan saw them
  std::vector<std::string> exposed;
  std::string said;
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const auto line = chaos.read_line(100ms)) said += *line + "\n";
    for (const char* file : {"password", "tools-password"}) {
      if (secrets.size() == 2) break;
      const auto secret = first_line(work / "nats" / file);
      if (!secret.empty()) secrets.insert(secret);
    }
    if (secrets.empty()) continue;
    for (const auto& command : command_lines()) {
      if (command.find(work.string()) != std::string::npos && command.find("oee-server") != std::string::npos)
        nodes_seen.insert(command);
      for (const auto& secret : secrets)
        if (command.find(secret) != std::string::npos) exposed.push_back(command);
    }
    if (said.find("PASS") != std::string::npos || said.find("FAIL") != std::string::npos) break;
  }
  while (const auto line = chaos.read_line(1s)) said += *line + "\n";
  const int status = chaos.wait(60s);
  EXPECT_EQ(status, 0) << said << chaos.stderr_text();
  EXPECT_NE(said.find("PASS"), std::string::npos) << said;
  EXPECT_EQ(secrets.size(), 2u) << "the nodes' and the tools' passwords, from the run's NATS directory";
  EXPECT_FALSE(nodes_seen.empty()) << "no node of the run was seen running";
  EXPECT_TRUE(exposed.empty()) << "a password on a command line: " << exposed.front();
}

}  // namespace
}  // namespace oee::e2e
