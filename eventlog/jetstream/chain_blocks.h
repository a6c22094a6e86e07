#pragma once
// The simulated chain's ledger in a cluster: its blocks, in stream OEE_CHAIN
// (subject oee.chain.block), one message per slot that decided anything,
// written only by the holder of lease `chain` (chain_writer.h) and fenced on
// the stream's last seq, so two writers never both extend the ledger from
// one block. No partition's fence is involved: a transaction sent by any
// node lands if it is valid and its signature unseen.
//
//   block := "oeeB1" fixed64be(slot) fixed64be(opened at, ns since the epoch)
//            fixed64be(oldest live) u8(len) writer fixed32be(n) entry... crc32c
//   entry := u8(len) signature fixed64be(valid until, ns; 0: none)
//            fixed16be(len) outcome
//   slot        := the writer's count, from 1 after the block it follows
//   opened at   := when the slot began, never before the block it follows
//   oldest live := the seq of the oldest block holding a signature still in
//                  the writer's status cache when it wrote this one (whose
//                  validity ended less than kChainGrace before): where the
//                  next writer starts reading to rebuild it
//   outcome     := what the chain's user recorded (the simulated chain:
//                  sim_chain.h's ledger value, e.g. "1500000" for a landing
//                  of that many base units, "slippage:..." for a refusal)
// A block with no entries is a writer's first: its fence against the last.
// crc32c is fixed32 little-endian over everything before it.
//
// Each signature is in at most one block. Readable by any user that may get
// messages (oee-logdump, oee-chaos).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventlog/jetstream/connection.h"

namespace oee::eventlog::jetstream {

inline constexpr auto kChainStream = "OEE_CHAIN";
inline constexpr auto kChainBlockSubject = "oee.chain.block";
/// Where a sender's transactions reach the chain's writer (core NATS requests).
inline constexpr auto kChainSendSubject = "oee.chain.send";
inline constexpr auto kChainLease = "chain";
/// How long after a signature's validity ends the writer still keeps it in
/// its status cache: covers a send that was slow to arrive, and clocks a
/// little apart.
inline constexpr std::chrono::milliseconds kChainGrace{10'000};

struct ChainEntry {
  std::string signature;
  TimestampNs valid_until;
  std::string outcome;
};

struct ChainBlock {
  std::uint64_t slot = 0;
  TimestampNs opened_at;
  Seq oldest_live;
  std::string writer;
  std::vector<ChainEntry> entries;
};

[[nodiscard]] std::string encode_block(const ChainBlock& block);
/// Errc::corrupted when the checksum or the layout is wrong.
[[nodiscard]] Result<ChainBlock> decode_block(std::string_view data);

/// The stream's spec (created by the first writer).
[[nodiscard]] StreamSpec chain_stream_spec();
/// Every block from seq `from` on, in order, up to what the stream held
/// when asked, until `visit` returns false; none if the cluster has no
/// chain yet.
[[nodiscard]] std::error_code for_each_block(Connection& connection, Seq from,
                                             const std::function<bool(Seq, const ChainBlock&)>& visit);

/// The whole ledger, as an auditor reads it.
struct ChainLedgerContents {
  std::unordered_map<std::string, std::string> outcomes;  // by signature
  std::size_t blocks = 0;
  /// Signatures found in more than one block: a chain that gave a
  /// signature two outcomes (never, unless a bug).
  std::vector<std::string> twice;
};
[[nodiscard]] Result<ChainLedgerContents> read_chain(Connection& connection);

}  // namespace oee::eventlog::jetstream
