#pragma once
// What a node sends the simulated chain's writer (chain_writer.h) on
// kChainSendSubject, as core NATS requests, and what it answers:
//
//   send   := "oeeT1" fixed32be(n) (u8(len) signature fixed64be(valid until) fixed16be(len) outcome)...
//   find   := "oeeF1" u8(len) signature
//   answer := "oeeA1" fixed32be(n) (u8(kind) fixed16be(len) value)...   one per signature asked, in order
//   kind   := 0 stored now | 1 held: value is its outcome | 2 unknown: send it again later
//             | 3 too late: never stored | 4 none (a find: not in the cache)
//
// Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/errors.h"
#include "eventlog/types.h"

namespace oee::eventlog::jetstream {

/// A request's answer for one signature.
enum class ChainAnswer : std::uint8_t { stored = 0, held = 1, unknown = 2, too_late = 3, none = 4 };
/// Each answer and its value (an outcome, for `held`).
using ChainAnswers = std::vector<std::pair<ChainAnswer, std::string>>;

struct ChainSend {
  std::string signature;
  TimestampNs valid_until;
  std::string outcome;
};

/// A send's outcomes, or one find (its outcome empty).
struct ChainRequest {
  bool find = false;
  std::vector<ChainSend> sends;
};

[[nodiscard]] std::string encode_chain_send(const std::vector<ChainSend>& sends);
[[nodiscard]] std::string encode_chain_find(std::string_view signature);
/// Nothing for a request that is not one.
[[nodiscard]] std::optional<ChainRequest> decode_chain_request(std::string_view data);
[[nodiscard]] std::string encode_chain_answer(const ChainAnswers& answers);
/// Errc::corrupted for an answer that is not one.
[[nodiscard]] Result<ChainAnswers> decode_chain_answer(std::string_view data);

}  // namespace oee::eventlog::jetstream
