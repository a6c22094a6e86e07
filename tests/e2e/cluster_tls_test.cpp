// A cluster whose NATS servers require TLS: a node reaches them with
// tls:// URLs and --nats-ca, and a node that cannot check the servers'
// certificate, or does not speak TLS, refuses to start.

#include <gtest/gtest.h>

#include "cluster_nodes.h"
#include "order_reads.h"
#include "test_certificates.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

TEST(ClusterNodes, ANodeReachesServersThatRequireTlsWithTheirCa) {
  Certificates certs;
  testing::NatsCluster nats(1, testing::NatsTls{certs.path("server.pem"), certs.path("server.key")});
  ASSERT_EQ(nats.urls().rfind("tls://", 0), 0u) << nats.urls();
  TempDir dir;

  ServerProcess node(dir.path() / "a", node_args(nats, "a", {"--sim", "fast", "--nats-ca", certs.path("ca.pem")}));
  node.start();
  HttpClient client(node.port());
  const auto ids = submit(node.port(), 3);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_TRUE(all_finish(client, ids, 30s));
  const auto verified = run({kLogdump, "--nats", nats.urls(), "--nats-ca", certs.path("ca.pem"), "--verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  // Another CA's certificates: the servers' cannot be checked.
  auto stranger = node_args(nats, "b", {"--nats-ca", certs.path("stranger.pem"), "--port", "0", "--data-dir",
                                        (dir.path() / "b").string()});
  stranger.insert(stranger.begin(), kServer);
  const auto refused = run(stranger, 30s);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("certificate"), std::string::npos) << refused.err;
  // Plain NATS to servers that require TLS.
  std::string plain = nats.urls();
  for (std::size_t at = 0; (at = plain.find("tls://", at)) != std::string::npos;) plain.replace(at, 6, "nats://");
  const auto cleartext = run({kServer, "--nats", plain, "--node", "c", "--partitions", std::to_string(kPartitions),
                              "--port", "0", "--data-dir", (dir.path() / "c").string()},
                             30s);
  EXPECT_EQ(cleartext.exit_code, 2) << cleartext.err;
  // A CA file that is not there is named.
  const auto missing = run({kServer, "--nats", nats.urls(), "--nats-ca", (dir.path() / "none.pem").string(), "--node",
                            "d", "--port", "0", "--data-dir", (dir.path() / "d").string()},
                           30s);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.pem"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace oee::e2e
