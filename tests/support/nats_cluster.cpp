#include "nats_cluster.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "scratch_log.h"

namespace oee::testing {

namespace {
std::string script(const std::string& args, const std::string& env = {}) {
  const std::string cmd = env + std::string(OEE_NATS_CLUSTER_SCRIPT) + " " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run nats_cluster.sh");
  std::string out;
  char buffer[512];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  if (pclose(pipe.release()) != 0) throw std::runtime_error("nats_cluster.sh " + args + " failed");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
std::string quoted(const std::filesystem::path& p) {
  std::string out(1, '\'');
  out.append(p.string()).push_back('\'');
  return out;
}
}  // namespace

NatsCluster::NatsCluster(int servers, std::optional<NatsTls> tls) : servers_(servers) {
  dir_ = unique_temp_path("nats");
  std::string env;
  if (tls) {
    env = "OEE_NATS_TLS_CERT=" + quoted(std::filesystem::path(tls->cert)) +
          " OEE_NATS_TLS_KEY=" + quoted(std::filesystem::path(tls->key)) + " ";
  }
  try {
    urls_ = script("start " + quoted(dir_) + " " + std::to_string(servers), env);
    std::ifstream tools(dir_ / "tools-urls");
    std::getline(tools, tools_urls_);
    if (tools_urls_.empty()) throw std::runtime_error("nats_cluster.sh wrote no tools-urls");
  } catch (...) {
    // The destructor does not run for a constructor that throws: the
    // servers that did start must not outlive the test.
    try {
      script("stop " + quoted(dir_));
    } catch (...) {
    }
    throw;
  }
}

NatsCluster::~NatsCluster() {
  try {
    script("stop " + quoted(dir_));
  } catch (...) {
  }
}

std::vector<std::string> NatsCluster::url_list() const {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start <= urls_.size()) {
    const auto comma = urls_.find(',', start);
    out.push_back(urls_.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string NatsCluster::urls_with_password(const std::string& password) const {
  std::string out;
  for (const auto& url : url_list()) {
    const auto colon = url.find(':', url.find("://") + 3);
    const auto at = url.find('@');
    if (!out.empty()) out.push_back(',');
    out.append(url, 0, colon + 1).append(password).append(url, at, std::string::npos);
  }
  return out;
}

void NatsCluster::kill(int index) { script("kill " + quoted(dir_) + " " + std::to_string(index + 1)); }
void NatsCluster::resume(int index) { script("resume " + quoted(dir_) + " " + std::to_string(index + 1)); }
void NatsCluster::pause(int index) { script("pause " + quoted(dir_) + " " + std::to_string(index + 1)); }
void NatsCluster::cont(int index) { script("cont " + quoted(dir_) + " " + std::to_string(index + 1)); }
pid_t NatsCluster::pid(int index) const {
  return static_cast<pid_t>(std::stol(script("pid " + quoted(dir_) + " " + std::to_string(index + 1))));
}
int NatsCluster::index_of(const std::string& name) { return std::stoi(name.substr(1)) - 1; }

}  // namespace oee::testing
