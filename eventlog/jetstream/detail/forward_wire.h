#pragma once
// A forward: a write another node asks the partition's owner to store, as
// a NATS request on oee.forward.p<p> (queue group "owner"). It carries the
// event as record_codec encodes it (seq 0), and headers: Oee-Request (who
// asks, once: the same on every try), Oee-Begins 1 or Oee-Basis (the
// order's position it was decided on), Oee-Sets, Oee-Fingerprint,
// Oee-Retry 1 (an earlier try went unanswered). The owner's answers:

#include <string_view>

namespace oee::eventlog::jetstream::detail::forward_wire {

inline constexpr std::string_view kLanded = "landed ";      // + seq: stored there
inline constexpr std::string_view kExisting = "existing ";  // + fingerprint: the idempotency key's order exists
inline constexpr std::string_view kConflict = "conflict";   // the order moved past the forward's basis
inline constexpr std::string_view kRefused = "refused";     // + ": why": not a write the path may carry
inline constexpr std::string_view kUnsent = "unsent";       // nothing stored: no longer the owner, or closing
inline constexpr std::string_view kUnknown = "unknown";     // sent, unanswered: ask again with the same request id

}  // namespace oee::eventlog::jetstream::detail::forward_wire
