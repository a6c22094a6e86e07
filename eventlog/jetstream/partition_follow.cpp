// The partition log's follower: a node that does not own the partition
// follows its stream and folds it; one that does not fold it (behind: it
// neither owns nor follows it) tells its listeners
// - each batch stored on oee.p<p>.s, which holds a record every node needs
//   (an API key's), from an ordered consumer of that subject alone: the
//   servers send this node nothing else of the partition;
// - while something here watches the partition (watch(): a WebSocket that
//   follows an order in it), each batch the owner sends on oee.live.p<p> as
//   it stores it, a core NATS message that costs the servers one delivery
//   per watching node, no stream read. Core NATS may drop one (a
//   reconnect): a batch that does not follow on from what the listeners
//   heard has the records between read from the stream first, and the
//   follower thread looks at the stream's end every second for a batch that
//   never came. So a watching node's listeners hear every record, once, in
//   order; any node's hear every record every node needs, once, in order.
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"

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
      if (!behind()) {
        shared_.reset();
        listen_live(false);
        std::unique_lock lock(head_mu_);
        idle_cv_.wait_for(lock, 200ms, [&] { return stopping_.load(std::memory_order_acquire); });
        continue;
      }
      const bool watched_now = watched();
      listen_live(watched_now);
      if (!watched_now) {
        seen_stored = Seq{0};
      } else if (Clock::now() - looked >= 1s) {
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
      follow_shared();
      continue;
    }
    shared_.reset();
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

void JetStreamPartitionLog::follow_shared() {
  if (!shared_) {
    // From what this node last folded: what it heard since is passed over.
    auto sub = connection_.follow(stream_, shared_batch_subject(options_.partition), tail_seq().next());
    if (!sub) {
      spdlog::warn("partition {}: cannot follow its batches every node needs ({}); retrying", options_.partition,
                   sub.error().message());
      std::unique_lock lock(head_mu_);
      idle_cv_.wait_for(lock, 200ms, [&] { return stopping_.load(std::memory_order_acquire); });
      return;
    }
    shared_ = std::move(*sub);
    shared_tail_.store(tail_seq().value, std::memory_order_release);
  }
  auto m = shared_->next(200ms);
  if (!m) {
    // The ordered consumer makes itself again; meanwhile nothing is lost.
    std::unique_lock lock(head_mu_);
    idle_cv_.wait_for(lock, 200ms, [&] { return stopping_.load(std::memory_order_acquire); });
    return;
  }
  if (!*m) return;
  on_shared(**m);
  shared_tail_.store((*m)->seq.value, std::memory_order_release);
}

void JetStreamPartitionLog::on_shared(const StoredMessage& message) {
  auto batch = decode_batch(message.data, options_.partition);
  if (!batch) {
    spdlog::error("partition {}: the message at stream seq {} is not a record batch ({}); it is skipped",
                  options_.partition, message.seq.value, batch.error().message());
    return;
  }
  if (batch->partition && *batch->partition != options_.partition) {
    spdlog::error("partition {}: the message at stream seq {} is partition {}'s batch; it is skipped",
                  options_.partition, message.seq.value, *batch->partition);
    return;
  }
  if (batch->entries.empty()) return;
  std::lock_guard fold_lock(fold_mu_);
  if (!behind()) return;  // folded here: the fold tells the listeners
  // Watched, what came between is heard first; else nobody here waits for it.
  if (watched() && batch->first.value > heard_.load(std::memory_order_acquire) + 1 &&
      !hear_stored(Seq{batch->first.value - 1}))
    spdlog::warn("partition {}: the records before position {} are not heard here: the stream could not be read",
                 options_.partition, batch->first.value);
  hear_batch(*batch);
}

CommitSubscription JetStreamPartitionLog::watch(PartitionId /*p*/) {
  {
    // Counted once started: till then the follower does not take the
    // partition for watched (it would read everything it skipped).
    std::lock_guard lock(watch_mu_);
    if (watchers_->load(std::memory_order_acquire) == 0) start_watching();
    watchers_->fetch_add(1, std::memory_order_acq_rel);
  }
  idle_cv_.notify_all();
  return CommitSubscription([watchers = watchers_] { watchers->fetch_sub(1, std::memory_order_acq_rel); });
}

// What the listeners heard may be far behind (only what every node needs
// came): rather than read everything between from the stream, they hear
// the batches every node needs up to what the owner has folded now (those
// its follower has not brought yet), then what comes after. A read made
// after this asks the owner, which has folded the rest; what it folds next
// comes live, or from the stream if the live batch is missed.
void JetStreamPartitionLog::start_watching() {
  if (!behind()) return;  // folded here: the listeners hear every record
  auto head = owner_reader_.head();
  if (!head) {
    // No owner now: a read waits for one, which will have folded at least
    // what the stream holds.
    auto stored = stored_head();
    if (!stored) return;  // the stream's end, looked at every second, brings what comes
    head = *stored;
  }
  std::vector<Batch> owed;
  for (Seq from{std::max(shared_tail_.load(std::memory_order_acquire), tail_seq().value) + 1};;) {
    auto m = connection_.next_on_subject(stream_, shared_batch_subject(options_.partition), from);
    if (!m) return;  // not skipped to the owner's head: what comes reads the stream between
    if (!*m) break;
    auto batch = decode_batch((*m)->data, options_.partition);
    if (batch && !batch->entries.empty()) {
      if (batch->first > *head) break;
      owed.push_back(std::move(*batch));
    }
    from = (*m)->seq.next();
  }
  std::lock_guard fold_lock(fold_mu_);
  if (!behind()) return;
  for (auto& batch : owed) hear_batch(batch);
  hear_through(*head);
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

// Anyone allowed to make a consumer can have the servers deliver a stream's
// messages on oee.live.p<p> (the servers do not check where a consumer
// delivers against its maker's permissions): what comes there is heard only
// if it is a batch of this partition, stored in an ownership the stream
// holds, after what was heard before. Anything else is refused, and what
// the owner stored comes from the stream.
void JetStreamPartitionLog::on_live(Request message) {
  auto batch = decode_batch(message.data, options_.partition);
  if (!batch) return refuse_live(fmt::format("it is not a record batch ({})", batch.error().message()));
  if (batch->partition != options_.partition)
    return refuse_live(batch->partition ? fmt::format("it is partition {}'s", *batch->partition)
                                        : std::string("it does not name its partition"));
  if (batch->entries.empty()) return;
  std::lock_guard fold_lock(fold_mu_);
  if (!behind()) return;  // folded here: the fold tells the listeners
  if (batch->last().value <= heard_.load(std::memory_order_acquire)) return;  // heard already
  if (const auto why = not_from_owner(*batch); !why.empty()) return refuse_live(why);
  if (batch->first.value > heard_.load(std::memory_order_acquire) + 1 && !hear_stored(Seq{batch->first.value - 1}))
    return;  // heard later, from the stream
  hear_batch(*batch);
}

std::string JetStreamPartitionLog::not_from_owner(const Batch& batch) {
  if (!batch.taken_at) return "it does not name its writer's ownership";
  const Seq taken_at = *batch.taken_at;
  if (taken_at.value == 0 || taken_at > batch.first)
    return fmt::format("its ownership at position {} does not come before it (position {})", taken_at.value,
                       batch.first.value);
  if (taken_at < heard_owner_.taken_at)
    return fmt::format("its ownership at position {} ended at position {}", taken_at.value,
                       heard_owner_.taken_at.value);
  if (taken_at == heard_owner_.taken_at)
    return batch.writer == heard_owner_.writer
               ? std::string{}
               : fmt::format("its writer {} did not take the partition at position {}", batch.writer, taken_at.value);
  // An ownership not heard of here: its PartitionTaken, as the stream holds it.
  auto stored = batches_.batch_at(taken_at);
  if (!stored) return fmt::format("the stream holds no batch at position {}", taken_at.value);
  const auto by = taken_by(stored->entries[taken_at.value - stored->first.value].record);
  if (!by || *by != batch.writer)
    return fmt::format("its writer {} did not take the partition at position {}", batch.writer, taken_at.value);
  heard_owner_ = HeardOwnership{*by, taken_at};
  return {};
}

void JetStreamPartitionLog::refuse_live(std::string_view why) {
  if (const auto say = refused_live_.count())
    spdlog::warn("partition {}: refused {} batch{} heard live on {}, the last because {}; what its owner stored is "
                 "read from the stream",
                 options_.partition, say, say == 1 ? "" : "es", live_subject(options_.partition), why);
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
  for (const auto& r : records) {
    if (r.type != kPartitionTakenType) continue;
    if (auto by = taken_by(r)) heard_owner_ = HeardOwnership{std::move(*by), r.seq};
  }
  // As a fold: the head moves, the listeners hear, the writes complete
  // (behind: this node's forwards, answered by the owner before).
  auto ready = move_heard(records.back().seq);
  if (wake) head_cv_.notify_all();
  listeners_->notify(records);
  for (auto& [done, outcome] : ready) done(outcome);
}

void JetStreamPartitionLog::hear_batch(Batch& batch) {
  std::vector<Record> records;
  records.reserve(batch.entries.size());
  for (auto& e : batch.entries) records.push_back(std::move(e.record));
  hear(records);
}

void JetStreamPartitionLog::hear_through(Seq position) {
  if (position.value <= heard_.load(std::memory_order_acquire)) return;
  auto ready = move_heard(position);
  head_cv_.notify_all();
  for (auto& [done, outcome] : ready) done(outcome);
}

std::vector<std::pair<AppendCompletion, AppendOutcome>> JetStreamPartitionLog::move_heard(Seq position) {
  std::vector<std::pair<AppendCompletion, AppendOutcome>> ready;
  std::lock_guard lock(head_mu_);  // wait_beyond() and complete_at() look under it
  heard_.store(position.value, std::memory_order_release);
  const auto end = waiting_.upper_bound(position.value);
  for (auto it = waiting_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
  waiting_.erase(waiting_.begin(), end);
  return ready;
}

void JetStreamPartitionLog::stop_following() {
  folds_unowned_.store(false, std::memory_order_release);
  idle_cv_.notify_all();  // the follower drops its subscription and listens live
}

}  // namespace oee::eventlog::jetstream::detail
