// The partition log's writes: where each goes (this node's appender while
// it owns the partition, batch_appender.h; the owner otherwise,
// forwarder.h), what the appender asks of the log, and how a write is
// answered once stored. Other nodes' forwards come in through
// owner_services.h; the owner's writer and the takeover:
// partition_takeover.cpp.
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace std::chrono_literals;

void JetStreamPartitionLog::append(AppendCommand command, AppendCompletion done) {
  enqueue(std::move(command), std::move(done), std::nullopt);
}

void JetStreamPartitionLog::enqueue(AppendCommand command, AppendCompletion done,
                                    std::optional<Ownership> ownership) {
  Queued q{std::move(command), std::move(done), Seq{0}, ownership};
  q.request = next_request_id();
  if (!q.command.begins) {
    // What the command was decided on: the order as this node has folded it.
    auto seqs = order_seqs(q.command.order);
    if (!seqs) return q.done(seqs.error());
    if (!seqs->empty()) q.basis = seqs->back();
    if (q.command.basis) {
      if (q.basis > *q.command.basis) return q.done(std::error_code(JsErrc::conflict));  // it moved on meanwhile
      q.basis = *q.command.basis;
    }
  }
  // The owner appends; every other node asks it to (single writer). An
  // append of an owner's writer stays here even if the ownership ended
  // meanwhile: it is fenced, for its executor must stop.
  if (!ownership && !owned()) return forward(q);
  append_here(q);
}

void JetStreamPartitionLog::append_all(std::vector<AppendRequest> requests) {
  for (auto& r : requests) append(std::move(r.command), std::move(r.done));
}

void JetStreamPartitionLog::append_here(Queued& q) {
  if (!appender_->push(q)) q.done(make_error_code(Errc::closed));
}

BatchAppender::Tail JetStreamPartitionLog::tail() const {
  std::lock_guard fold_lock(fold_mu_);
  const auto held = ownership_.held();
  BatchAppender::Tail tail{std::nullopt, Seq{}, tail_seq(), folded().next()};
  if (held) {
    tail.ownership = held->ownership;
    tail.taken_at = held->taken_at;
  }
  return tail;
}

void JetStreamPartitionLog::stored(Batch batch, Seq stream_seq, std::string_view data) {
  fold_stored(std::move(batch), stream_seq);
  send_live(data);
}

std::error_code JetStreamPartitionLog::before_takeover() { return behind() ? skip_to_checkpoint() : std::error_code{}; }

void JetStreamPartitionLog::store_forwarded(Queued& q) {
  const auto held = ownership_.held();
  if (!held) return q.done(make_error_code(Errc::unavailable));  // answered unsent
  q.ownership = held->ownership;
  append_here(q);  // closing: answered unsent
}

void JetStreamPartitionLog::forward(Queued& q) {
  if (!forwarder_->send(q)) q.done(make_error_code(Errc::closed));
}

void JetStreamPartitionLog::wait_for_order_past(const OrderId& order, Seq basis, Clock::time_point deadline) const {
  for (;;) {
    auto seqs = order_seqs(order);
    if (!seqs || (!seqs->empty() && seqs->back() > basis) || Clock::now() >= deadline) return;
    (void)wait_beyond(head(), std::min<std::chrono::milliseconds>(kOwnerPoll, left(deadline)));
  }
}


void JetStreamPartitionLog::reroute(Queued& q) {
  if (q.ownership) return q.done(std::error_code(JsErrc::fenced));
  if (q.forwarded) return q.done(make_error_code(Errc::unavailable));  // answered "unsent": asked again elsewhere
  forward(q);
}

void JetStreamPartitionLog::finish(Queued& q, Result<AppendOutcome> outcome, Clock::time_point started) {
  stats_->append_latency_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
  if (!outcome) {
    stats_->failed_commits.fetch_add(1, std::memory_order_relaxed);
    // Above the log, a lost answer is a timeout like any other.
    if (outcome.error() == JsErrc::timeout) return q.done(std::make_error_code(std::errc::timed_out));
    return q.done(outcome.error());
  }
  stats_->commits.fetch_add(1, std::memory_order_relaxed);
  // Once folded here or, behind, heard if every node needs it: the
  // listeners have it (a key works here), and a read asks the owner, which
  // has folded it.
  if (outcome->existing || outcome->seq <= head() || !heard_before_done(q)) return q.done(*outcome);
  complete_at(outcome->seq, std::move(q.done), *outcome);
}

bool JetStreamPartitionLog::heard_before_done(const Queued& q) const {
  if (!behind()) return true;  // folded here, as the owner folds what it stores
  return options_.heard_everywhere && options_.heard_everywhere(q.command.type, q.command.payload, {});
}

std::string JetStreamPartitionLog::subject_of(const Batch& batch) const {
  if (options_.heard_everywhere) {
    for (const auto& e : batch.entries) {
      const auto* open = e.begins ? nullptr : index_.find(e.record.order);
      if (options_.heard_everywhere(e.record.type, e.record.payload,
                                    open != nullptr ? open->snapshot : std::string_view{}))
        return shared_batch_subject(options_.partition);
    }
  }
  return batch_subject(options_.partition);
}


Result<BatchAppender::Found> JetStreamPartitionLog::find_request(const Queued& q) const {
  BatchAppender::Found found;
  if (const auto stored = stored_request(q.request); stored && stored->order == q.command.order) {
    found.landed = stored->position;
    return found;
  }
  // A new order's id is fresh unless a client's key made it, or the
  // request was sent before: only then are the segments asked as well.
  const bool look_everywhere = !q.command.begins || q.command.idempotency || q.sent_before;
  Result<std::optional<IndexedOrder>> record = std::optional<IndexedOrder>{};
  if (auto seqs = index_.seqs(q.command.order)) {
    record = std::optional<IndexedOrder>(IndexedOrder{q.command.order, {}, std::move(*seqs)});
  } else if (auto done = finished_.recall(q.command.order)) {
    record = std::optional<IndexedOrder>(std::move(*done));
  } else if (look_everywhere) {
    record = order_record(q.command.order);
  }
  if (!record) return record.error();
  if (!*record || (*record)->seqs.empty()) return found;
  found.order_exists = true;
  found.last = (*record)->seqs.back();
  if (q.command.begins && q.command.idempotency) {
    auto first = batches_.fingerprint_at(q.command.order, (*record)->seqs.front());
    if (!first) return first.error();
    found.fingerprint = std::move(*first);
  }
  return found;
}






void JetStreamPartitionLog::complete_at(Seq seq, AppendCompletion done, AppendOutcome outcome) {
  {
    std::lock_guard lock(head_mu_);
    if (head() < seq) {
      waiting_.emplace(seq.value, std::make_pair(std::move(done), std::move(outcome)));
      return;
    }
  }
  done(outcome);
}

}  // namespace oee::eventlog::jetstream::detail
