#pragma once
// The simulated chain's writer, on the node that holds lease `chain`: it
// takes the outcomes nodes send (kChainSendSubject, core NATS requests),
// collects those of a slot and stores them as one block (chain_blocks.h),
// fenced on the stream's last seq. A signature gets one outcome: the
// status cache holds every signature stored whose validity ended less than
// kChainGrace ago, and one sent again is answered with what it holds; one
// whose validity ended before that is looked up in the blocks of its
// validity, and if none holds it, it is too late and is never stored.
//
// On start it rebuilds the cache from the blocks still live (the last
// block names the oldest), then stores an empty block fenced on the last
// one: a writer before it that is paused, not dead, stores nothing after.
// A block its fence refuses is answered "unknown" (the senders send the
// same signatures again, to whoever writes next) and this writer stops.
// A find is answered at once from the status cache (a hint: the sender
// waits for nothing it does not need); sends wait for their slot's block
// (the requests' form: chain_wire.h).
//
// Lifecycle: start() returns a running writer; the destructor stops
// serving and answers what is queued "unknown". Threading: requests come on
// the connection's service thread; one thread of its own (oee-chain)
// decides and stores.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/jetstream/chain_blocks.h"
#include "eventlog/jetstream/chain_wire.h"
#include "eventlog/jetstream/connection.h"

namespace oee::eventlog::jetstream {

struct ChainWriterOptions {
  /// Named in each block: tells this writer's blocks from another's.
  std::string writer;
  /// How long a slot collects outcomes before its block is stored; zero:
  /// whatever came while the last block was stored.
  std::chrono::milliseconds slot{400};
  /// The longest validity a signature may have, from when it is sent; one
  /// longer is too late (never stored). Bounds the blocks a late signature
  /// is looked up in.
  std::chrono::milliseconds max_validity{std::chrono::minutes(2)};
};

class ChainWriter {
 public:
  /// Rebuilds the cache, stores the fence block and serves; JsErrc::fenced
  /// if another writer stored a block meanwhile, JsErrc::lease_lost if
  /// `may_write` (asked just before the fence; none: always) says no.
  [[nodiscard]] static Result<std::unique_ptr<ChainWriter>> start(Connection& connection, ChainWriterOptions options,
                                                                  std::function<void()> on_fenced,
                                                                  std::function<bool()> may_write = {});
  ~ChainWriter();
  ChainWriter(const ChainWriter&) = delete;
  ChainWriter& operator=(const ChainWriter&) = delete;

  /// Signatures in the status cache.
  [[nodiscard]] std::size_t cached() const;

 private:
  struct Impl;
  explicit ChainWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::eventlog::jetstream
