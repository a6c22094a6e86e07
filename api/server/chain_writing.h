#pragma once
// A cluster node's part in the simulated chain: while it holds lease
// `chain`, it writes the chain's blocks (eventlog/jetstream/chain_writer.h).
// One node at a time holds it; when its holder dies or pauses, another
// takes it over once the lease expires, and the new writer's first block
// fences the old one out.
//
// Lifecycle: start() after the cluster is open; stop() (before the
// cluster's connection closes) releases the lease and stops the writer.
// Threading: the lease keeper's thread makes and drops the writer.

#include <chrono>
#include <memory>
#include <string>

#include "eventlog/jetstream/chain_writer.h"
#include "eventlog/jetstream/leases.h"

namespace oee::api {

class ChainWriting {
 public:
  ChainWriting(eventlog::jetstream::Connection& connection, eventlog::jetstream::KvBucket leases, std::string node,
               std::chrono::milliseconds lease_ttl, eventlog::jetstream::ChainWriterOptions writer);
  ~ChainWriting();
  ChainWriting(const ChainWriting&) = delete;
  ChainWriting& operator=(const ChainWriting&) = delete;

  void start();
  void stop();

 private:
  void held(bool held);  // the lease keeper's thread

  eventlog::jetstream::Connection& connection_;
  const eventlog::jetstream::ChainWriterOptions options_;
  std::unique_ptr<eventlog::jetstream::ChainWriter> writer_;  // the lease keeper's thread's, then stop()'s
  eventlog::jetstream::LeaseKeeper lease_;                   // last: its thread calls held()
};

/// How long a slot of the simulated chain collects outcomes: a block per
/// 400 ms, as Solana's; when the simulation runs fast, a slot lasts as long
/// as the last block's store (what came meanwhile is the next block).
[[nodiscard]] std::chrono::milliseconds chain_slot(bool fast);

}  // namespace oee::api
