#pragma once
// A private NATS JetStream cluster for one test: `servers` nats-server
// processes clustered on free loopback ports (tools/nats_cluster.sh), with
// user and password authentication, removed on destruction.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace oee::testing {

/// A server certificate and key (PEM): clients must then use TLS, and the
/// URLs are tls://.
struct NatsTls {
  std::string cert;
  std::string key;
};

class NatsCluster {
 public:
  explicit NatsCluster(int servers = 3, std::optional<NatsTls> tls = {});  // throws if a server cannot start
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  /// Every server's URL, credentials included, comma-separated (--nats).
  [[nodiscard]] const std::string& urls() const { return urls_; }
  /// The same for the tools' user, which may read and not write.
  [[nodiscard]] const std::string& tools_urls() const { return tools_urls_; }
  [[nodiscard]] std::vector<std::string> url_list() const;
  /// The same without the password: for tests of refused authentication.
  [[nodiscard]] std::string urls_with_password(const std::string& password) const;
  [[nodiscard]] int size() const { return servers_; }

  /// Server `index` (0-based): kill -9 keeping its data, start it again,
  /// SIGSTOP and SIGCONT.
  void kill(int index);
  void resume(int index);
  void pause(int index);
  void cont(int index);
  [[nodiscard]] pid_t pid(int index) const;
  /// The index of the server named `name` (n1, n2, …), as stream leaders are reported.
  [[nodiscard]] static int index_of(const std::string& name);

 private:
  std::filesystem::path dir_;
  std::string urls_;
  std::string tools_urls_;
  int servers_;
};

}  // namespace oee::testing
