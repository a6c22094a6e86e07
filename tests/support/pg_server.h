#pragma once
// A private PostgreSQL server for one test process, started with
// tools/pg_server.sh on a free loopback port in a temp dir and removed on
// destruction.

#include <filesystem>
#include <string>

namespace oee::testing {

class PgServer {
 public:
  PgServer();  // throws if the server cannot start
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  [[nodiscard]] const std::string& url() const { return url_; }
  /// Stops the server keeping its data (an outage), and starts it again.
  void pause();
  void resume();

 private:
  std::filesystem::path dir_;
  std::string url_;
};

}  // namespace oee::testing
