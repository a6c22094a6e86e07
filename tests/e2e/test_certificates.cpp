#include "test_certificates.h"

#include <fstream>
#include <stdexcept>
#include <vector>

namespace oee::e2e {

namespace {
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run(argv);
  if (r.exit_code != 0) throw std::runtime_error("openssl " + args.front() + " failed: " + r.err);
}
}  // namespace

Certificates::Certificates() {
  const std::string ec = "ec", curve = "ec_paramgen_curve:prime256v1";
  for (const std::string name : {"ca", "stranger"}) {
    openssl({"req", "-x509", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-days", "2", "-subj", "/CN=oee test " + name,
             "-keyout", path(name + ".key"), "-out", path(name + ".pem")});
  }
  openssl({"req", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-subj", "/CN=localhost", "-keyout", path("server.key"),
           "-out", path("server.csr")});
  std::ofstream(path("san.cnf")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  openssl({"x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
           "-CAcreateserial", "-days", "2", "-extfile", path("san.cnf"), "-out", path("server.pem")});
}

}  // namespace oee::e2e
