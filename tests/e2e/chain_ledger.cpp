#include "chain_ledger.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "core/engine/sim_chain.h"
#include "eventlog/key_value_store.h"
#include "harness.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::e2e {

using namespace std::chrono_literals;

void expect_ledger_equals_confirmed(const std::filesystem::path& data, unsigned short port) {
  HttpClient client(port);
  ASSERT_TRUE(executor_idle(client, 60s));
  auto ledger = eventlog::open_rocksdb_store(
      eventlog::StoreOptions{.path = (data / "simchain" / "ledger").string(), .read_only = true});
  std::set<std::string> landed;
  std::size_t unreadable = 0;
  ASSERT_FALSE(ledger->for_each([&](std::string_view tx, std::string_view value) {
    const auto outcome = core::parse_ledger_value(value);
    if (!outcome) ++unreadable;
    if (outcome && outcome->outcome == core::TxOutcome::landed) landed.emplace(tx);
  }));
  EXPECT_EQ(unreadable, 0u);
  // An order's filled legs: one for an order on one venue, a split's each.
  std::set<std::string> confirmed;
  for (const char* type : {"confirmed", "partiallyFilled"}) {
    const auto dump = run({kLogdump, "--data-dir", data.string(), "--type", type, "--format", "json"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    std::istringstream lines(dump.out);
    for (std::string line; std::getline(lines, line);) {
      const auto event = boost::json::parse(line);
      const auto* legs = event.as_object().if_contains("legs");
      if (legs == nullptr) {  // a record of before legs were recorded
        const std::string tx(event.at("txHash").as_string());
        EXPECT_TRUE(confirmed.insert(tx).second) << "confirmed twice: " << tx;
        continue;
      }
      for (const auto& leg : legs->as_array()) {
        if (leg.at("status") != "confirmed") continue;
        const std::string tx(leg.at("txHash").as_string());
        EXPECT_TRUE(confirmed.insert(tx).second) << "confirmed twice: " << tx;
      }
    }
  }
  EXPECT_FALSE(confirmed.empty());
  EXPECT_EQ(landed, confirmed);
}

}  // namespace oee::e2e
