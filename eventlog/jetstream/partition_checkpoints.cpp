// The partition log's checkpoints (their stored form and place:
// checkpoint_store.h): the owner hands one to the Checkpointer every so
// many events and announces it in the log once written; opening a
// partition loads the latest and folds only the events after it, and a
// takeover from behind skips to it.

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream::detail {

using Clock = std::chrono::steady_clock;

namespace {

/// A Checkpointed record's payload: the position, fixed64 big-endian.
std::string checkpointed_payload(Seq through) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((through.value >> (8 * i)) & 0xFF));
  return out;
}

std::optional<Seq> checkpointed_position(std::string_view payload) {
  if (payload.size() != 8) return std::nullopt;
  std::uint64_t through = 0;
  for (const char c : payload) through = (through << 8) | static_cast<std::uint8_t>(c);
  return Seq{through};
}

}  // namespace

void JetStreamPartitionLog::open_from_checkpoint() {
  checkpoints_.open();
  segments_.open();
  auto loaded = patiently([&] { return checkpoints_.load(); }, kOpenPatience);
  if (!loaded)
    throw std::runtime_error(fmt::format("cannot read partition {}'s checkpoint: {}", options_.partition,
                                         loaded.error().message()));
  if (!*loaded) return;
  std::lock_guard fold_lock(fold_mu_);
  apply_checkpoint(**loaded);
  opened_from_ = (*loaded)->seq;
}

void JetStreamPartitionLog::apply_checkpoint(CheckpointStore::Contents& c) {
  index_.load_checkpoint(std::move(c.orders));
  sets_.replace(std::move(c.sets));
  landed_requests_.restore(std::move(c.requests));
  // What finished before the checkpoint is in the segments; what
  // finished after it is folded again from here.
  finished_.clear();
  checkpointer_->clear_finished();
  {
    std::lock_guard lock(head_mu_);
    head_.store(c.seq.value, std::memory_order_release);
  }
  tail_seq_.store(c.stream_seq.value, std::memory_order_release);
  stats_->open_orders.store(index_.size(), std::memory_order_relaxed);
}

std::error_code JetStreamPartitionLog::skip_to_checkpoint() {
  auto loaded = checkpoints_.load();
  if (!loaded) return loaded.error();
  if (!*loaded || (*loaded)->stream_seq <= tail_seq()) return {};
  std::lock_guard fold_lock(fold_mu_);
  if ((*loaded)->stream_seq <= tail_seq()) return {};
  // The listeners hear each record once: what came before the checkpoint
  // first, from the stream if it did not come live.
  if (!hear_stored((*loaded)->seq)) return make_error_code(Errc::unavailable);
  spdlog::info("partition {}: taking over from the checkpoint at position {} (folded here: {})", options_.partition,
               (*loaded)->seq.value, folded().value);
  apply_checkpoint(**loaded);
  return {};
}


Result<std::optional<Checkpoint>> JetStreamPartitionLog::checkpoint() const {
  auto loaded = patiently([&] { return checkpoints_.load(); }, kOpenPatience);
  if (!loaded) return loaded.error();
  if (!*loaded) return std::optional<Checkpoint>{};
  return std::optional<Checkpoint>(Checkpoint{(*loaded)->seq, std::move((*loaded)->orders)});
}

void JetStreamPartitionLog::maybe_checkpoint(std::size_t events) {
  since_checkpoint_ += events;
  const auto now = Clock::now();
  if (checkpoint_due_ == Clock::time_point{}) checkpoint_due_ = now + options_.checkpoint_after;
  if (since_checkpoint_ == 0 || (since_checkpoint_ < options_.checkpoint_events && now < checkpoint_due_)) return;
  if (!owned()) return;  // the owner checkpoints; the others count on
  const Seq at = folded();  // folds are one at a time, and this is one
  auto blob = CheckpointStore::encode(at, tail_seq(), sets_.copy(), landed_requests_.kept(), index_.encode_checkpoint());
  since_checkpoint_ = 0;
  checkpoint_due_ = now + options_.checkpoint_after;
  checkpointer_->checkpoint_due(at, std::move(blob));
}

// Other nodes learn from it which finished orders they no longer need to
// keep for a segment (note_finished).
void JetStreamPartitionLog::announce_checkpoint(Seq through) {
  Queued q;
  q.command.type = kCheckpointedType;
  q.command.payload = checkpointed_payload(through);
  q.done = [](const Result<AppendOutcome>&) {};  // the next checkpoint announces again
  const auto held = ownership_.held();
  if (!held) return;
  q.ownership = held->ownership;
  q.request = next_request_id();
  append_here(q);
}



void JetStreamPartitionLog::fold_checkpointed(const Record& r) {
  const auto through = checkpointed_position(r.payload);
  if (!through) {
    spdlog::error("partition {}: the Checkpointed record at position {} does not decode", options_.partition, r.seq.value);
    return;
  }
  checkpointer_->forget_through(*through);
}

}  // namespace oee::eventlog::jetstream::detail
