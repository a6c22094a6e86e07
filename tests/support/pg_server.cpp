#include "pg_server.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "scratch_log.h"

namespace oee::testing {

namespace {
void script(const std::string& verb, const std::filesystem::path& dir) {
  const std::string cmd = std::string("OEE_PG_FAST=1 ") + OEE_PG_SERVER_SCRIPT + " " + verb + " '" + dir.string() +
                          "' > /dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("pg_server.sh " + verb + " failed");
}
}  // namespace

PgServer::PgServer() {
  dir_ = unique_temp_path("pg");
  script("start", dir_);
  std::ifstream in(dir_ / "url");
  std::getline(in, url_);
}

PgServer::~PgServer() {
  try {
    script("stop", dir_);
  } catch (...) {
  }
}

void PgServer::pause() { script("pause", dir_); }
void PgServer::resume() { script("resume", dir_); }

}  // namespace oee::testing
