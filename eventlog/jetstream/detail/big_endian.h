#pragma once
// The fixed-width big-endian integers and length-prefixed strings of the
// cluster log's stored forms (checkpoints, segments, the chain's blocks and
// requests).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oee::eventlog::jetstream::detail {

inline void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

/// The next `bytes` of `in` as a number, consumed; nothing if `in` is shorter.
inline std::optional<std::uint64_t> get_be(std::string_view& in, int bytes) {
  if (in.size() < static_cast<std::size_t>(bytes)) return std::nullopt;
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[static_cast<std::size_t>(i)]);
  in.remove_prefix(static_cast<std::size_t>(bytes));
  return v;
}

/// A string after its length (`length_bytes` wide), consumed; nothing if
/// `in` is shorter.
inline std::optional<std::string> get_text(std::string_view& in, int length_bytes) {
  const auto len = get_be(in, length_bytes);
  if (!len || in.size() < *len) return std::nullopt;
  std::string out(in.substr(0, *len));
  in.remove_prefix(*len);
  return out;
}

}  // namespace oee::eventlog::jetstream::detail
