#pragma once
// The simulated chain's ledger as a node of a cluster uses it: a
// KeyValueStore whose create-only writes are transactions' outcomes sent
// to the chain's writer (chain_writer.h), which stores them in blocks
// (chain_blocks.h). An outcome the writer cannot confirm (no writer now, a
// block its fence refused, no answer in time) is Errc::unavailable: the
// sender sends the same signature again later, and is answered with what
// the chain holds for it, if anything.
//
// get() answers from the writer's status cache (signatures still within
// their validity, and a little after): a transaction decided long ago
// reads as unknown there, and sending it again answers its outcome.
// for_each() reads every block.
//
// Thread-safe; the connection must outlive the store. Opening a cluster
// that keeps the chain's ledger in the format before blocks (bucket
// oee-chain) throws std::runtime_error naming it.

#include <chrono>
#include <memory>

#include "eventlog/jetstream/connection.h"
#include "eventlog/key_value_store.h"

namespace oee::eventlog::jetstream {

[[nodiscard]] std::unique_ptr<KeyValueStore> open_chain_ledger(Connection& connection,
                                                               std::chrono::milliseconds timeout);

/// The ledger as an auditor reads it (oee-logdump, with the tools' user):
/// from the blocks alone, asking no writer. get() answers from the blocks
/// read so far, reading those stored since first when it does not hold the
/// key; every write is refused (Errc::read_only).
[[nodiscard]] std::unique_ptr<KeyValueStore> open_chain_reader(Connection& connection);

}  // namespace oee::eventlog::jetstream
