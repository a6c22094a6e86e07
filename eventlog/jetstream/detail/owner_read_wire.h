#pragma once
// Reads asked of a partition's owner: a node that neither owns nor
// follows the partition (follow_unowned false) holds no current fold of
// it, so what it is asked about an order goes to the owner, a core NATS
// request on oee.read.p<p> that the owner answers from its fold.
//
// A request: header Oee-Read names what is asked, data the order (text).
//   order    the order's record: "open <record>", "finished <record>"
//            (order_index.h's encoding) or "none"
//   events   (Oee-From: position) the order's records from there on:
//            "events " then each as fixed32 big-endian length + record_codec
//   members  (Oee-Set, Oee-Max, Oee-After: an order id or none) a set's
//            members after that id, by id, at most kMembersPage of them:
//            "members " then 16 bytes each; a full page may have more after
//   snapshots (data: 16 bytes per order) the orders' latest snapshots, in
//            the order asked: "snapshots " then for each, 0 (none) or 1 then
//            fixed64 big-endian last position, fixed32 length, snapshot;
//            it stops before kPageBytes, after at least one: the asker asks
//            again for the rest
//   head     the last position the owner folded: "head <position>"
// Other answers: "unowned" (not the owner: ask again), "error <why>" (the
// owner could not read it), "refused <why>" (not a read it serves).

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oee::eventlog::jetstream::detail::owner_read_wire {

inline constexpr std::string_view kOpen = "open ";
inline constexpr std::string_view kFinished = "finished ";
inline constexpr std::string_view kNone = "none";
inline constexpr std::string_view kEvents = "events ";
inline constexpr std::string_view kMembers = "members ";
inline constexpr std::string_view kSnapshots = "snapshots ";
inline constexpr std::string_view kHead = "head ";
inline constexpr std::string_view kUnowned = "unowned";
inline constexpr std::string_view kError = "error ";
inline constexpr std::string_view kRefusedRead = "refused ";

// An answer stays under NATS's default payload limit (1 MiB), with room
// for its headers; an ask too.
inline constexpr std::size_t kPageBytes = 768 * 1024;
inline constexpr std::size_t kMembersPage = kPageBytes / 16;
inline constexpr std::size_t kSnapshotsPerAsk = kPageBytes / 16;

inline std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  if (text.empty() || std::from_chars(text.data(), text.data() + text.size(), n).ptr != text.data() + text.size())
    return std::nullopt;
  return n;
}

inline void put_be32(std::string& out, std::uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
}

inline void put_be64(std::string& out, std::uint64_t n) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
}

inline std::optional<std::uint64_t> take_be64(std::string_view& in) {
  if (in.size() < 8) return std::nullopt;
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<std::uint8_t>(in[i]);
  in.remove_prefix(8);
  return n;
}

inline std::optional<std::uint32_t> take_be32(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<std::uint8_t>(in[i]);
  in.remove_prefix(4);
  return n;
}

}  // namespace oee::eventlog::jetstream::detail::owner_read_wire
