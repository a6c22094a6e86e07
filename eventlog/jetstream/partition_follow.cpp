// The partition log's follower: a node that does not own the partition
// follows its stream and folds it; one that does not fold it (behind: it
// neither owns nor follows it) tells its listeners each batch the owner sends on
// oee.live.p<p> as it stores it, a core NATS message that costs the servers
// one delivery per listening node, no stream read. Core NATS may drop one
// (a reconnect): a batch that does not follow on from what the listeners
// heard has the records between read from the stream first, and the
// follower thread looks at the stream's end every second for a batch that
// never came. So the listeners hear every record, once, in order.
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"

namespace oee::eventlog::jetstream::detail {

namespace {

using namespace std::chrono_literals;

/// Records read from the stream at a time when some did not come live.
constexpr std::size_t kHeardAtOnce = 4096;
/// Messages folded together, at most, as the follower reads them.
constexpr std::size_t kFollowBatch = 1024;

}  // namespace

// The owner folds what it stores, and nothing else can land while it owns
// the partition (the fence): it does not follow its own stream. Every other
// node does (unless follow_unowned is false), from the last batch it
// folded, and a node whose ownership ends follows again from there.
void JetStreamPartitionLog::follow_loop() {
  std::vector<StoredMessage> messages;
  bool warned = false;
  auto looked = Clock::now();  // behind: when the stream's end was last looked at
  Seq seen_stored{0};          // and where it was then
  // Said once until following works again; tried again after a pause.
  const auto failed = [&](const std::error_code& ec) {
    if (!std::exchange(warned, true))
      spdlog::warn("partition {}: following the stream failed ({}); retrying", options_.partition, ec.message());
    std::this_thread::sleep_for(200ms);
  };
  while (!stopping_.load(std::memory_order_acquire)) {
    if (owned() || !folds_unowned_.load(std::memory_order_acquire)) {
      subscription_.reset();
      const bool behind_now = behind();
      listen_live(behind_now);
      if (behind_now && Clock::now() - looked >= 1s) {
        // A batch stored a second ago that has not come live: lost on the
        // way (one stored just now is most likely still coming).
        looked = Clock::now();
        if (seen_stored.value > heard_.load(std::memory_order_acquire)) {
          std::lock_guard fold_lock(fold_mu_);
          if (behind()) (void)hear_stored(seen_stored);
        }
        auto stored = stored_head();
        if (stored) seen_stored = *stored;
      }
      std::unique_lock lock(head_mu_);
      idle_cv_.wait_for(lock, 200ms, [&] { return stopping_.load(std::memory_order_acquire); });
      continue;
    }
    listen_live(false);
    if (!subscription_) {
      auto sub = connection_.follow(stream_, subjects_, tail_seq().next());
      if (!sub) {
        failed(sub.error());
        continue;
      }
      subscription_ = std::move(*sub);
    }
    auto m = subscription_->next(200ms);
    if (!m) {
      failed(m.error());
      continue;
    }
    warned = false;
    if (!*m) continue;
    messages.push_back(std::move(**m));
    while (messages.size() < kFollowBatch && subscription_->pending() > 0) {
      auto more = subscription_->next(50ms);
      if (!more || !*more) break;
      messages.push_back(std::move(**more));
    }
    fold_messages(messages);
    messages.clear();
  }
}

void JetStreamPartitionLog::fold_messages(const std::vector<StoredMessage>& messages) {
  std::vector<std::pair<Batch, Seq>> batches;
  batches.reserve(messages.size());
  for (const auto& m : messages) {
    auto batch = decode_batch(m.data, options_.partition);
    if (!batch) {
      spdlog::error("partition {}: the message at stream seq {} is not a record batch ({}); it is skipped",
                    options_.partition, m.seq.value, batch.error().message());
      continue;
    }
    batches.emplace_back(std::move(*batch), m.seq);
  }
  fold_batches(batches);
}

void JetStreamPartitionLog::send_live(std::string_view data) {
  // Lost, it is read from the stream by those who missed it.
  (void)connection_.send(live_subject(options_.partition), data);
}

void JetStreamPartitionLog::listen_live(bool on) {
  if (!on) {
    live_.reset();
    return;
  }
  if (live_) return;
  try {
    live_ = connection_.serve(live_subject(options_.partition), "", [this](Request m) { on_live(std::move(m)); });
  } catch (const std::exception& e) {
    // The stream's end, looked at every second, brings what came meanwhile.
    spdlog::warn("partition {}: cannot listen to its owner's batches: {}", options_.partition, e.what());
  }
}

void JetStreamPartitionLog::on_live(Request message) {
  auto batch = decode_batch(message.data, options_.partition);
  if (!batch) {
    spdlog::warn("partition {}: a live message is not a record batch ({}); read from the stream instead",
                 options_.partition, batch.error().message());
    return;
  }
  if (batch->entries.empty()) return;
  std::lock_guard fold_lock(fold_mu_);
  if (!behind()) return;  // folded here: the fold tells the listeners
  if (batch->first.value > heard_.load(std::memory_order_acquire) + 1 && !hear_stored(Seq{batch->first.value - 1}))
    return;  // heard later, from the stream
  std::vector<Record> records;
  records.reserve(batch->entries.size());
  for (auto& e : batch->entries) records.push_back(std::move(e.record));
  hear(records);
}

bool JetStreamPartitionLog::hear_stored(Seq through) {
  while (heard_.load(std::memory_order_acquire) < through.value) {
    const Seq from{heard_.load(std::memory_order_acquire) + 1};
    auto records = read_positions(from, std::min<std::uint64_t>(kHeardAtOnce, through.value - from.value + 1));
    if (!records) {
      spdlog::warn("partition {}: cannot read positions from {} for the listeners: {}", options_.partition, from.value,
                   records.error().message());
      return false;
    }
    if (records->empty() || records->front().seq != from) {
      spdlog::error("partition {}: the stream does not hold position {} for the listeners", options_.partition,
                    from.value);
      return false;
    }
    hear(*records);
  }
  return true;
}

void JetStreamPartitionLog::hear(std::vector<Record>& records, bool wake) {
  const auto heard = heard_.load(std::memory_order_acquire);
  std::erase_if(records, [&](const Record& r) { return r.seq.value <= heard; });
  if (records.empty()) return;
  // As a fold: the head moves, the listeners hear, the writes complete
  // (behind: this node's forwards, answered by the owner before).
  std::vector<std::pair<AppendCompletion, AppendOutcome>> ready;
  {
    std::lock_guard lock(head_mu_);  // wait_beyond() and complete_at() look under it
    heard_.store(records.back().seq.value, std::memory_order_release);
    const auto end = waiting_.upper_bound(records.back().seq.value);
    for (auto it = waiting_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), end);
  }
  if (wake) head_cv_.notify_all();
  listeners_->notify(records);
  for (auto& [done, outcome] : ready) done(outcome);
}

void JetStreamPartitionLog::stop_following() {
  folds_unowned_.store(false, std::memory_order_release);
  idle_cv_.notify_all();  // the follower drops its subscription and listens live
}

}  // namespace oee::eventlog::jetstream::detail
