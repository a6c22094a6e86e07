#pragma once
// Certificates made with the openssl command at test time, in a temporary
// directory: a CA, a certificate it issued for 127.0.0.1 and localhost
// (server.pem, server.key), and a second CA that issued nothing
// (stranger.pem).

#include <string>

#include "harness.h"

namespace oee::e2e {

struct Certificates {
  Certificates();  // throws if openssl fails
  [[nodiscard]] std::string path(const std::string& name) const { return (dir.path() / name).string(); }
  TempDir dir;
};

}  // namespace oee::e2e
