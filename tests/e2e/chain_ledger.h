#pragma once
// The simulated chain's ledger against the log: what kill -9 tests compare
// once every order has finished.

#include <filesystem>

namespace oee::e2e {

/// The simulated chain's ledger lands exactly the transactions the log
/// confirms (its refusals aside): every confirmed order's tx (a split order's: each filled
/// leg's) landed, and no order had a second tx
/// land (an attempt sent again after a crash would leave one that no order
/// confirms). Every order of the log counts, not only the acknowledged ones:
/// an order whose 202 a kill cut off runs too, so this waits for the
/// executor (on `port`, serving `data`) to be idle first.
void expect_ledger_equals_confirmed(const std::filesystem::path& data, unsigned short port);

}  // namespace oee::e2e
