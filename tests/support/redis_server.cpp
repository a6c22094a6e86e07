#include "redis_server.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "scratch_log.h"

namespace oee::testing {

namespace {
void script(const std::string& verb, const std::filesystem::path& dir, const std::string& env = {}) {
  const std::string cmd = env + " " + OEE_REDIS_SERVER_SCRIPT + " " + verb + " '" + dir.string() + "' > /dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("redis_server.sh " + verb + " failed");
}
}  // namespace

RedisServer::RedisServer(const std::string& password) {
  dir_ = unique_temp_path("redis");
  script("start", dir_, password.empty() ? "" : "OEE_REDIS_PASSWORD='" + password + "'");
  std::ifstream(dir_ / "url") >> url_;
  unsigned port = 0;
  std::ifstream(dir_ / "port") >> port;
  port_ = static_cast<std::uint16_t>(port);
}

RedisServer::~RedisServer() {
  try {
    script("stop", dir_);
  } catch (...) {
  }
}

void RedisServer::kill() { script("kill", dir_); }
void RedisServer::resume() { script("resume", dir_); }
void RedisServer::kick_subscribers() { script("kick", dir_); }

void RedisServer::command(const std::string& words) {
  std::string quoted;
  std::istringstream in(words);
  for (std::string w; in >> w;) quoted += " '" + w + "'";
  const std::string cmd = std::string(OEE_REDIS_SERVER_SCRIPT) + " cli '" + dir_.string() + "'" + quoted + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("redis command failed: " + words);
}

}  // namespace oee::testing
