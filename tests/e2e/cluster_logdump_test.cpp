// oee-logdump on a cluster's log (--nats): every partition verified as a
// log of its own, across a takeover; an order's events found in its
// partition; the counts of every partition.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include "cluster_nodes.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(ClusterNodes, LogdumpVerifiesEveryPartitionAndFindsEachOrderInItsOwn) {
  const std::string admin = random_admin_key();
  TwoNodes nodes({"--sim", "realistic", "--sim-latency-scale", "0.2", "--fail-rate", "0", "--admin-key", admin});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_b(b.port());
  const std::map<std::string, std::string> as_admin{{"Content-Type", "application/json"},
                                                    {"Authorization", "Bearer " + admin}};
  // An API key's events live in the partitions too.
  const auto key = client_b.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read"]})", as_admin);
  ASSERT_EQ(key.status, 201) << key.body;
  std::map<std::string, std::uint64_t> partition_of;
  for (auto* node : {&a, &b}) {
    HttpClient client(node->port());
    for (int i = 0; i < 6; ++i) {
      const auto res = client.request("POST", "/api/orders/execute", order_body("0.5"), as_admin);
      ASSERT_EQ(res.status, 202) << res.body;
      const auto answer = res.json();
      partition_of[std::string(answer.at("orderId").as_string())] = answer.at("partition").to_number<std::uint64_t>();
    }
  }
  a.kill9();  // b takes a's partitions over: their logs now hold a second owner's record
  std::vector<std::string> ids;
  for (const auto& [id, p] : partition_of) ids.push_back(id);
  ASSERT_TRUE(eventually(
      [&] {
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          const auto res = client_b.request("GET", "/api/orders/" + id, {}, as_admin);
          return res.status == 200 && res.json().at("terminal").as_bool();
        });
      },
      60s));

  const auto verified = run({kLogdump, "--nats", nats.tools_urls(), "--verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    EXPECT_NE(verified.out.find("partition " + std::to_string(p) + ": verify ok"), std::string::npos) << verified.out;
  }

  // One order: its events, from its partition, ending confirmed.
  const auto& [id, p] = *partition_of.begin();
  const auto dumped = run({kLogdump, "--nats", nats.tools_urls(), "--order", id, "--format", "json"});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  std::istringstream lines(dumped.out);
  std::string line, last_type;
  int events = 0;
  while (std::getline(lines, line)) {
    boost::system::error_code ec;
    const auto parsed = json::parse(line, ec);
    ASSERT_FALSE(ec || !parsed.is_object()) << "not a JSON line: " << line;
    const auto& v = parsed.as_object();
    EXPECT_EQ(v.at("orderId").as_string(), id);
    EXPECT_EQ(v.at("partition").to_number<std::uint64_t>(), p);
    last_type = std::string(v.at("type").as_string());
    ++events;
  }
  EXPECT_EQ(last_type, "confirmed");
  const auto served = client_b.request("GET", "/api/orders/" + id + "/events", {}, as_admin);
  EXPECT_EQ(events, static_cast<int>(served.json().at("events").as_array().size()));

  // The counts: every order, each partition's own seq range.
  const auto stats = run({kLogdump, "--nats", nats.tools_urls(), "--stats", "--format", "json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  boost::system::error_code ec;
  const auto counted = json::parse(stats.out, ec);
  ASSERT_FALSE(ec || !counted.is_object()) << stats.out;
  const auto& counts = counted.as_object();
  EXPECT_EQ(counts.at("orders").at("total").to_number<std::uint64_t>(), partition_of.size());
  EXPECT_EQ(counts.at("orders").at("confirmed").to_number<std::uint64_t>(), partition_of.size());
  std::uint64_t sum = 0;
  for (const auto& part : counts.at("partitions").as_array()) sum += part.at("events").to_number<std::uint64_t>();
  EXPECT_EQ(sum, counts.at("events").to_number<std::uint64_t>());
  EXPECT_EQ(counts.at("partitions").as_array().size(), kPartitions);
  EXPECT_GT(counts.at("byType").as_object().at("partitionTaken").to_number<std::uint64_t>(), 0u);

  // Asking for what is not there says so.
  EXPECT_EQ(run({kLogdump, "--nats", nats.tools_urls(), "--partition", std::to_string(kPartitions)}).exit_code, 2);
  EXPECT_EQ(run({kLogdump, "--data-dir", nodes.dir.path().string(), "--partition", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace oee::e2e
