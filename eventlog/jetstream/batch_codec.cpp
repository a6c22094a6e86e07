#include "eventlog/jetstream/batch_codec.h"

#include <cstring>

#include "eventlog/record_codec.h"
#include "schemas/cluster_batch_generated.h"

namespace oee::eventlog::jetstream {

namespace {

flatbuffers::Offset<flatbuffers::String> optional_string(flatbuffers::FlatBufferBuilder& fbb, const std::string& s) {
  return s.empty() ? flatbuffers::Offset<flatbuffers::String>{} : fbb.CreateString(s);
}

std::string text(const flatbuffers::String* s) { return s == nullptr ? std::string{} : s->str(); }

}  // namespace

void Batch::place(Seq position, PartitionId partition) {
  first = position;
  this->partition = partition;
  for (auto& e : entries) {
    e.record.seq = position;
    e.record.partition = partition;
    position = position.next();
  }
}

std::string encode_batch(const Batch& batch) {
  std::size_t bytes = 128;
  for (const auto& e : batch.entries) bytes += 96 + e.record.payload.size() + e.sets.size() + e.fingerprint.size() + e.request.size();
  flatbuffers::FlatBufferBuilder fbb(bytes);
  std::vector<flatbuffers::Offset<fb::BatchEntry>> entries;
  entries.reserve(batch.entries.size());
  for (const auto& e : batch.entries) {
    const auto& r = e.record;
    const auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(r.payload.data()), r.payload.size());
    const fb::Uuid uuid{flatbuffers::span<const std::uint8_t, 16>(r.order.bytes().data(), 16)};
    fb::EnvelopeBuilder env(fbb);
    env.add_order_id(&uuid);
    env.add_ts_ns(r.ts.value);
    env.add_type(r.type);
    env.add_payload(payload);
    const auto event = env.Finish();
    const auto sets = optional_string(fbb, e.sets);
    const auto fingerprint = optional_string(fbb, e.fingerprint);
    const auto request = optional_string(fbb, e.request);
    fb::BatchEntryBuilder entry(fbb);
    entry.add_event(event);
    entry.add_begins(e.begins);
    entry.add_sets(sets);
    entry.add_fingerprint(fingerprint);
    entry.add_request(request);
    entries.push_back(entry.Finish());
  }
  const auto writer = fbb.CreateString(batch.writer);
  const auto list = fbb.CreateVector(entries);
  fb::BatchBuilder b(fbb);
  b.add_first(batch.first.value);
  b.add_writer(writer);
  b.add_entries(list);
  if (batch.partition) b.add_partition(batch.partition->value);
  if (batch.taken_at) b.add_taken_at(batch.taken_at->value);
  fbb.Finish(b.Finish());
  std::string out(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  append_crc32c(out);
  return out;
}

Result<Batch> decode_batch(std::string_view message, PartitionId partition) {
  const auto checked = checked_body(message);
  if (!checked) return make_error_code(Errc::corrupted);
  std::string_view body = *checked;
  // Flatbuffers reads fields in place and needs them aligned.
  std::string aligned;
  if (reinterpret_cast<std::uintptr_t>(body.data()) % alignof(std::uint64_t) != 0) {
    aligned.reserve(body.size() + 16);
    aligned.assign(body);
    body = aligned;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  if (!verifier.VerifyBuffer<fb::Batch>(nullptr)) return make_error_code(Errc::corrupted);
  const auto* b = flatbuffers::GetRoot<fb::Batch>(body.data());
  if (b->first() == 0 || b->entries() == nullptr) return make_error_code(Errc::corrupted);
  Batch out;
  out.first = Seq{b->first()};
  out.writer = text(b->writer());
  if (const auto named = b->partition()) out.partition = PartitionId{*named};
  if (const auto taken = b->taken_at()) out.taken_at = Seq{*taken};
  out.entries.reserve(b->entries()->size());
  std::uint64_t position = b->first();
  for (const auto* e : *b->entries()) {
    const auto* env = e->event();
    if (env == nullptr || env->order_id() == nullptr) return make_error_code(Errc::corrupted);
    BatchEntry entry;
    auto& r = entry.record;
    r.seq = Seq{position++};
    OrderId::Bytes id;
    std::memcpy(id.data(), env->order_id()->bytes()->data(), id.size());
    r.order = OrderId{id};
    r.ts = TimestampNs{env->ts_ns()};
    r.type = env->type();
    if (env->payload() != nullptr)
      r.payload.assign(reinterpret_cast<const char*>(env->payload()->data()), env->payload()->size());
    r.partition = partition;
    entry.begins = e->begins();
    entry.sets = text(e->sets());
    entry.fingerprint = text(e->fingerprint());
    entry.request = text(e->request());
    out.entries.push_back(std::move(entry));
  }
  return out;
}

}  // namespace oee::eventlog::jetstream
