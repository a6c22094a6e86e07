#include "eventlog/jetstream/detail/stored_batches.h"

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/errors.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

Result<Seq> StoredBatches::locate(Seq position) const {
  if (const auto known = positions_.find(position)) return *known;
  // Older than what is remembered here: the stream's batches are in
  // position order, each saying which positions it holds.
  auto state = connection_.stream_state(stream_);
  if (!state) return state.error();
  std::uint64_t lo = state->first.value, hi = state->last.value;
  while (lo != 0 && lo <= hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto m = connection_.get(stream_, Seq{mid});
    if (!m) return m.error();
    const auto holds = *m ? batch_of(**m) : std::nullopt;
    if (!holds) return make_error_code(Errc::corrupted);
    if (position < holds->first) {
      hi = mid - 1;
    } else if (position.value >= holds->first.value + holds->second) {
      lo = mid + 1;
    } else {
      return Seq{mid};
    }
  }
  return std::error_code(JsErrc::not_found);
}

Result<Batch> StoredBatches::batch_at(Seq position) const {
  auto seq = locate(position);
  if (!seq) return seq.error();
  auto m = connection_.get(stream_, *seq);
  if (!m) return m.error();
  if (!*m) return std::error_code(JsErrc::not_found);
  auto batch = decode_batch((*m)->data, partition_);
  if (!batch) return batch.error();
  if (position < batch->first || position > batch->last()) return make_error_code(Errc::corrupted);
  return batch;
}

Result<std::vector<Record>> StoredBatches::records_at(const std::vector<Seq>& positions) const {
  std::vector<Record> out;
  out.reserve(positions.size());
  std::optional<Batch> batch;
  for (const auto position : positions) {
    if (!batch || position < batch->first || position > batch->last()) {
      auto found = batch_at(position);
      if (!found) return found.error();
      batch = std::move(*found);
    }
    out.push_back(batch->entries[position.value - batch->first.value].record);
  }
  return out;
}

Result<std::string> StoredBatches::fingerprint_at(const OrderId& order, Seq position) const {
  auto batch = batch_at(position);
  if (!batch) return batch.error();
  const auto& e = batch->entries[position.value - batch->first.value];
  if (e.record.order != order) return make_error_code(Errc::corrupted);
  return e.fingerprint;
}

Result<Seq> StoredBatches::last_position() const {
  // Every message of the partition's stream is a batch, on either subject.
  auto state = connection_.stream_state(stream_);
  if (!state) return state.error();
  if (state->messages == 0) return Seq{0};
  auto last = connection_.get(stream_, state->last);
  if (!last) return last.error();
  if (!*last) return Seq{0};
  const auto holds = batch_of(**last);
  if (!holds) return make_error_code(Errc::corrupted);
  return Seq{holds->first.value + holds->second - 1};
}

std::error_code StoredBatches::for_each_batch(Seq from, std::size_t max,
                                              const std::function<std::size_t(const StoredMessage&)>& visit) const {
  if (max == 0) return {};
  auto seq = locate(from);
  if (!seq) return seq.error();
  for (std::size_t taken = 0; taken < max;) {
    auto messages = connection_.read(stream_, subjects_, *seq, std::min<std::size_t>(max - taken, 256));
    if (!messages) return messages.error();
    if (messages->empty()) break;
    for (const auto& m : *messages) {
      *seq = m.seq.next();
      taken += visit(m);
      if (taken >= max) break;
    }
  }
  return {};
}

Result<std::vector<Record>> StoredBatches::records_from(Seq from, std::size_t max) const {
  std::vector<Record> out;
  std::error_code failed;
  const auto ec = for_each_batch(from, max, [&](const StoredMessage& m) -> std::size_t {
    auto batch = decode_batch(m.data, partition_);
    if (!batch) {
      failed = batch.error();
      return max;  // stops here
    }
    const auto before = out.size();
    for (auto& e : batch->entries)
      if (e.record.seq >= from && out.size() < max) out.push_back(std::move(e.record));
    return out.size() - before;
  });
  if (ec) return ec;
  if (failed) return failed;
  return out;
}

Result<std::vector<RawRecord>> StoredBatches::raw_from(Seq from, std::size_t max) const {
  std::vector<RawRecord> out;
  const auto ec = for_each_batch(from, max, [&](const StoredMessage& m) -> std::size_t {
    const auto before = out.size();
    auto batch = decode_batch(m.data, partition_);
    if (!batch) {
      if (const auto holds = batch_of(m)) {
        for (std::uint64_t i = 0; i < holds->second && out.size() < max; ++i)
          if (holds->first.value + i >= from.value) out.push_back(RawRecord{Seq{holds->first.value + i}, m.data});
      }
      return out.size() - before;
    }
    for (auto& e : batch->entries) {
      if (e.record.seq < from || out.size() >= max) continue;
      const Seq at = e.record.seq;
      e.record.seq = Seq{0};
      e.record.partition.reset();
      out.push_back(RawRecord{at, encode_record(e.record)});
    }
    return out.size() - before;
  });
  if (ec) return ec;
  return out;
}

}  // namespace oee::eventlog::jetstream::detail
