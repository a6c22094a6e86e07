// What a node that does not fold the partition (behind: it neither owns nor
// follows it) tells its listeners: each batch the owner sends on
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

/// Records read from the stream at a time when some did not come live.
constexpr std::size_t kHeardAtOnce = 4096;

}  // namespace

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
