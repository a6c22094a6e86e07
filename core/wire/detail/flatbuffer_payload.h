#pragma once
// What the codecs of order and key events share: a payload's root once it
// verifies, and a finished builder's bytes.

#include <cstdint>
#include <string>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

namespace oee::core::detail {

/// The payload's root table, or null if the payload does not verify as one.
template <class T>
const T* verified_root(std::string_view payload) {
  flatbuffers::Verifier v(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (!v.VerifyBuffer<T>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<T>(payload.data());
}

inline std::string finish(flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace oee::core::detail
