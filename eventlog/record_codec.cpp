#include "eventlog/record_codec.h"

#include <boost/crc.hpp>
#include <cstring>

#include "schemas/envelope_generated.h"

namespace oee::eventlog {

namespace {
void put_be64(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}
}  // namespace

std::string encode_seq_key(Seq seq) {
  std::string key(8, '\0');
  put_be64(key.data(), seq.value);
  return key;
}

Seq decode_seq_key(std::string_view key) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < key.size(); ++i) v = (v << 8) | static_cast<std::uint8_t>(key[i]);
  return Seq{v};
}

namespace {

std::uint32_t crc32c_portable(std::string_view data) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

// The CPU's CRC32 instruction computes exactly CRC32C (Castagnoli); it was
// the largest cost of scanning the log with the table-driven version.
#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data) {
  std::uint64_t crc = 0xFFFFFFFF;
  const char* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    crc = __builtin_ia32_crc32di(crc, word);
  }
  auto c = static_cast<std::uint32_t>(crc);
  for (; n > 0; ++p, --n) c = __builtin_ia32_crc32qi(c, static_cast<unsigned char>(*p));
  return c ^ 0xFFFFFFFF;
}
#endif

}  // namespace

std::uint32_t crc32c(std::string_view data) {
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return crc32c_sse42(data);
#endif
  return crc32c_portable(data);
}

std::uint32_t crc32c_portable_for_tests(std::string_view data) { return crc32c_portable(data); }

std::string encode_record(const Record& record) {
  flatbuffers::FlatBufferBuilder fbb(128 + record.payload.size());
  const auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(record.payload.data()),
                                        record.payload.size());
  const fb::Uuid uuid{flatbuffers::span<const std::uint8_t, 16>(record.order.bytes().data(), 16)};
  fb::EnvelopeBuilder env(fbb);
  env.add_seq(record.seq.value);
  env.add_order_id(&uuid);
  env.add_ts_ns(record.ts.value);
  env.add_type(record.type);
  env.add_payload(payload);
  fbb.Finish(env.Finish());

  std::string value(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  append_crc32c(value);
  return value;
}

void append_crc32c(std::string& value) {
  const std::uint32_t crc = crc32c(value);
  for (int i = 0; i < 4; ++i) value.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
}

std::optional<std::string_view> checked_body(std::string_view value) {
  if (value.size() < 4) return std::nullopt;
  const auto body = value.substr(0, value.size() - 4);
  std::uint32_t stored = 0;
  for (int i = 3; i >= 0; --i) stored = (stored << 8) | static_cast<std::uint8_t>(value[body.size() + i]);
  if (stored != crc32c(body)) return std::nullopt;
  return body;
}

Result<Record> decode_record(std::string_view value) {
  if (value.size() < 4 + 8) return make_error_code(Errc::corrupted);
  const auto checked = checked_body(value);
  if (!checked) return make_error_code(Errc::corrupted);
  std::string_view body = *checked;
  // Flatbuffers reads fields in place and needs them aligned; RocksDB hands
  // out values at arbitrary addresses, so misaligned ones are copied first.
  std::string aligned;
  if (reinterpret_cast<std::uintptr_t>(body.data()) % alignof(std::uint64_t) != 0) {
    aligned.reserve(64);  // never the in-object buffer: heap storage is 16-byte aligned
    aligned.assign(body);
    body = aligned;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  if (!fb::VerifyEnvelopeBuffer(verifier)) return make_error_code(Errc::corrupted);
  const auto* env = fb::GetEnvelope(body.data());
  if (env->order_id() == nullptr) return make_error_code(Errc::corrupted);

  Record r;
  r.seq = Seq{env->seq()};
  OrderId::Bytes bytes;
  std::memcpy(bytes.data(), env->order_id()->bytes()->data(), 16);
  r.order = OrderId{bytes};
  r.ts = TimestampNs{env->ts_ns()};
  r.type = env->type();
  if (env->payload() != nullptr) {
    r.payload.assign(reinterpret_cast<const char*>(env->payload()->data()), env->payload()->size());
  }
  return r;
}

}  // namespace oee::eventlog
