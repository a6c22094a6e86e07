// The partition log's appender: the owner stores the writes that are ready
// together (its own, and those other nodes forward to it) as one record
// batch, fenced on the stream's last sequence; a takeover alone. Each write
// is judged first, on what is folded here: a first event whose order exists
// (another request's, or this request's retried) and an event whose order
// moved past its basis do not go out. A node that does not own the
// partition forwards its writes: partition_forwards.cpp; the owner's writer
// and the takeover: partition_ownership.cpp.
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

namespace {

/// Records in one batch, at most, and their payloads' bytes (a NATS
/// message holds 1 MiB by default).
constexpr std::size_t kBatchRecords = 1024;
constexpr std::size_t kBatchBytes = 512 << 10;

}  // namespace

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

void JetStreamPartitionLog::append_loop() {
  for (;;) {
    std::vector<Queued> run;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and drained
      // What waits together goes out as one batch; a takeover goes alone.
      std::size_t bytes = 0;
      do {
        bytes += queue_.front().command.payload.size();
        run.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!queue_.empty() && run.size() < kBatchRecords && bytes < kBatchBytes && !run.front().take_over &&
               !queue_.front().take_over);
    }
    if (run.front().take_over) {
      publish_takeover(run.front());
      continue;
    }
    if (!owned()) {
      // Made here while this node owned the partition, and no longer: the
      // new owner is asked. An owner's writer's appends are fenced, another
      // node's forwards answered "unsent".
      for (auto& q : run) reroute(q);
      continue;
    }
    publish_batch(run);
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

// Judged on what is folded here, which is everything stored (the owner is
// the only writer, and it folds what it stores before it stores more).
// Within the run, an order's second write was not decided on its first,
// which has not landed yet: it is refused as moved on, unless it is the
// same request (a node that asked twice, its first answer lost). A replay
// of a client's key is answered with the order's fingerprint, wherever
// its first record is: earlier in this run, or stored.
JetStreamPartitionLog::Judged JetStreamPartitionLog::judge(const Queued& q, RunWrites& in_run) {
  if (q.ownership && !owns(*q.ownership)) return Judged{JsErrc::fenced};
  if (is_log_own_type(q.command.type)) return Judged{Judged::append};  // of no order
  const bool keyed_begin = q.command.begins && q.command.idempotency;
  if (const auto earlier = in_run.find(q.command.order); earlier != in_run.end()) {
    if (earlier->second.request == q.request) return Judged{Judged::same_as_earlier};
    if (!keyed_begin) return Judged{Judged::moved};
    if (earlier->second.begun_with) return Judged{Judged::exists, {}, *earlier->second.begun_with};
    auto found = find_request(q);  // the order's later write is in the run: its first record is stored
    if (!found) return Judged{found.error()};
    if (!found->order_exists) return Judged{Judged::moved};
    return Judged{Judged::exists, {}, found->fingerprint};
  }
  auto found = find_request(q);
  if (!found) return Judged{found.error()};
  if (found->landed.value != 0) return Judged{Judged::landed, found->landed, found->fingerprint};
  if (q.command.begins) {
    if (found->order_exists) return Judged{q.command.idempotency ? Judged::exists : Judged::moved, {}, found->fingerprint};
  } else if (found->last != q.basis) {
    return Judged{Judged::moved};
  }
  InRun taken{q.request, std::nullopt};
  if (keyed_begin) taken.begun_with = q.command.idempotency->fingerprint;
  in_run.emplace(q.command.order, std::move(taken));
  return Judged{Judged::append};
}

Result<JetStreamPartitionLog::Found> JetStreamPartitionLog::find_request(const Queued& q) const {
  Found found;
  if (const auto stored = stored_request(q.request); stored && stored->order == q.command.order) {
    found.landed = stored->position;
    return found;
  }
  // A new order's id is fresh unless a client's key made it, or the
  // request was sent before: only then is the directory asked as well.
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
    auto first = first_entry(q.command.order, (*record)->seqs.front());
    if (!first) return first.error();
    found.fingerprint = std::move(*first);
  }
  return found;
}

void JetStreamPartitionLog::publish_batch(std::vector<Queued>& run) {
  const auto started = Clock::now();
  const auto deadline = started + options_.append_timeout;
  // Until what goes out lands: refused because something another writer
  // stored came first (an operator's, an older build's), the run is judged
  // again on what came, and what still goes goes again.
  for (;;) {
    // Where the batch goes, taken together with the ownership it goes in:
    // a tail folded here that holds another node's PartitionTaken has
    // ended this node's ownership in the same fold, so a batch can never
    // expect a tail past another owner's takeover. The writes are judged
    // on at least what is folded up to it.
    Tail tail;
    {
      std::lock_guard fold_lock(fold_mu_);
      std::lock_guard own_lock(own_mu_);
      if (!owned_) {
        for (auto& q : run) reroute(q);
        return;
      }
      tail = Tail{ownership_, tail_seq(), folded().next(), taken_at_};
    }
    RunWrites in_run;
    std::vector<Queued> going;
    std::vector<std::pair<Queued, std::size_t>> repeats;  // a write asked again within the run: its first's index
    Batch batch;
    batch.writer = writer();
    for (auto& q : run) {
      const auto judged = judge(q, in_run);
      switch (judged.verdict) {
        case Judged::append:
          going.push_back(std::move(q));
          break;
        case Judged::same_as_earlier: {
          std::size_t k = 0;
          while (k < going.size() && !(going[k].command.order == q.command.order && going[k].request == q.request)) ++k;
          repeats.emplace_back(std::move(q), k);
          break;
        }
        case Judged::landed:
          finish(q, AppendOutcome{judged.at, {}, std::nullopt}, started);
          break;
        case Judged::exists:
          finish(q, AppendOutcome{Seq{0}, {}, IdempotencyEntry{q.command.order, judged.fingerprint}}, started);
          break;
        case Judged::moved:
          finish(q, std::error_code(JsErrc::conflict), started);
          break;
        case Judged::failed:
          if (judged.error == JsErrc::fenced) {
            reroute(q);
          } else {
            finish(q, judged.error, started);
          }
          break;
      }
    }
    if (going.empty()) {
      for (auto& [q, k] : repeats) finish(q, std::error_code(JsErrc::conflict), started);
      return;
    }
    // The payloads move into the batch; kept to be judged and sent again.
    for (auto& q : going) batch.entries.push_back(entry_of(q));
    auto outcome = store_batch(batch, tail, deadline);
    if (!outcome) {
      // Not stored: each write gets its payload back, to go again, here or
      // through the new owner.
      for (std::size_t i = 0; i < going.size(); ++i) going[i].command.payload = std::move(batch.entries[i].record.payload);
    }
    if (!outcome && outcome.error() == JsErrc::wrong_last_sequence && owns(tail.ownership) && Clock::now() < deadline) {
      run = std::move(going);
      for (auto& [q, k] : repeats) run.push_back(std::move(q));
      continue;
    }
    for (std::size_t i = 0; i < going.size(); ++i) {
      if (!outcome && outcome.error() == JsErrc::fenced) {
        reroute(going[i]);
        continue;
      }
      finish(going[i],
             outcome ? Result<AppendOutcome>(AppendOutcome{Seq{outcome->first.value + i}, going[i].command.ts, std::nullopt})
                     : Result<AppendOutcome>(outcome.error()),
             started);
    }
    for (auto& [q, k] : repeats) {
      finish(q, outcome ? Result<AppendOutcome>(AppendOutcome{Seq{outcome->first.value + k}, {}, std::nullopt})
                        : Result<AppendOutcome>(outcome.error()),
             started);
    }
    return;
  }
}

BatchEntry JetStreamPartitionLog::entry_of(Queued& q) const {
  BatchEntry e;
  e.record = Record{Seq{0}, q.command.order, q.command.ts.value == 0 ? TimestampNs::now() : q.command.ts,
                    q.command.type, std::move(q.command.payload)};
  q.command.ts = e.record.ts;
  e.begins = q.command.begins;
  e.sets = sets_header(q.command);
  if (q.command.idempotency) e.fingerprint = q.command.idempotency->fingerprint;
  e.request = q.request;
  return e;
}

// The fence: the batch lands only right after the last message this node
// stored or folded, so nothing another node wrote (a PartitionTaken) came
// between what its writes were judged on and them. A batch whose answer was
// lost is found by reading what the stream holds right after that message.
// Refused (or found not to be there, something else in its place), what
// came is folded: JsErrc::fenced if it ended this node's ownership, else
// JsErrc::wrong_last_sequence, to judge the writes again.
Result<JetStreamPartitionLog::Stored> JetStreamPartitionLog::store_batch(Batch& batch, const Tail& tail,
                                                                       Clock::time_point deadline) {
  batch.place(tail.next_position, options_.partition);
  batch.taken_at = tail.taken_at;
  const auto data = encode_batch(batch);
  Publish p;
  p.subject = subject_of(batch);
  p.data = data;
  p.msg_id = fmt::format("{}{}~{:08x}", batch_id_prefix(), batch.first.value, crc32c(data));
  p.headers = {{"Oee-Batch", fmt::format("{}+{}", batch.first.value, batch.entries.size())}};
  const Seq after = tail.stream_seq;
  p.expect_last_seq = after;
  const auto refused = [&]() -> std::error_code {
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (const auto ec = catch_up(deadline)) return ec;
    return owns(tail.ownership) ? std::error_code(JsErrc::wrong_last_sequence) : std::error_code(JsErrc::fenced);
  };
  for (bool sent = false;;) {
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    if (ack && options_.lose_ack && lose_ack_of(batch)) {
      spdlog::warn("partition {}: test hook: the acknowledgment of seq {} is dropped", options_.partition, ack->seq.value);
      ack = Result<PublishAck>(std::error_code(JsErrc::timeout));
    }
    if (ack) {
      const Stored stored{batch.first, ack->seq};
      // Folded before it goes out live, so whoever hears of it elsewhere
      // finds it here. The caller reads it again only when it was not stored.
      fold_stored(std::move(batch), ack->seq);
      send_live(data);
      return stored;
    }
    const auto& e = ack.error();
    if (e == JsErrc::not_connected && !sent) return make_error_code(Errc::unavailable);
    if (e == JsErrc::wrong_last_sequence) return refused();
    if (e != JsErrc::timeout && e != JsErrc::not_connected) return e;
    sent = true;
    auto next = connection_.get(stream_, after.next());
    if (next && *next) {
      if ((*next)->header("Nats-Msg-Id") == p.msg_id) {
        const Stored stored{batch.first, (*next)->seq};
        fold_stored(std::move(batch), (*next)->seq);
        send_live(data);
        return stored;
      }
      return refused();
    }
    if (Clock::now() >= deadline) return std::error_code(JsErrc::timeout);
  }
}

bool JetStreamPartitionLog::lose_ack_of(const Batch& batch) const {
  for (const auto& e : batch.entries) {
    AppendCommand c;
    c.order = e.record.order;
    c.type = e.record.type;
    if (options_.lose_ack(c)) return true;
  }
  return false;
}

void JetStreamPartitionLog::publish_takeover(Queued& q) {
  const auto started = Clock::now();
  const auto deadline = started + options_.append_timeout;
  const auto taken = entry_of(q);
  // Once, before the tries: a later one only catches up on what came meanwhile.
  if (behind()) {
    if (const auto ec = skip_to_checkpoint()) return finish(q, ec, started);
  }
  for (;;) {
    if (const auto ec = catch_up(deadline)) return finish(q, ec, started);
    // A takeover that outlived this node's lease (it waited on the servers,
    // or the node was paused) is not made: its lease's next holder, taking
    // itself for the owner, would serve reads from a fold that lacks it.
    // (The lease only makes that rare: such an owner also checks the
    // stream before it calls an order unknown, nothing_stored_beyond.)
    if (options_.lease_fresh && !options_.lease_fresh())
      return finish(q, std::error_code(JsErrc::lease_lost), started);
    Batch batch;
    batch.writer = writer();
    batch.entries.push_back(taken);
    Seq after;
    {
      std::lock_guard fold_lock(fold_mu_);
      std::lock_guard own_lock(own_mu_);
      // An earlier try that landed made this node the owner as it was folded.
      if (owned_) return finish(q, AppendOutcome{taken_at_, {}, std::nullopt}, started);
      after = tail_seq();
      batch.place(folded().next(), options_.partition);
      batch.taken_at = batch.first;  // the ownership this batch begins
    }
    const auto data = encode_batch(batch);
    Publish p;
    p.subject = subject_of(batch);
    p.data = data;
    p.msg_id = fmt::format("{}{}", takeover_id_prefix(), batch.first.value);
    p.headers = {{"Oee-Batch", fmt::format("{}+1", batch.first.value)}};
    p.expect_last_seq = after;
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    if (ack) {
      const AppendOutcome outcome{batch.first, batch.entries.front().record.ts, std::nullopt};
      fold_stored(std::move(batch), ack->seq);
      send_live(data);
      return finish(q, outcome, started);
    }
    if (ack.error() == JsErrc::not_connected) return finish(q, make_error_code(Errc::unavailable), started);
    if (ack.error() != JsErrc::wrong_last_sequence && ack.error() != JsErrc::timeout) return finish(q, ack.error(), started);
    // Another node stored something meanwhile (or the answer was lost):
    // folded, then asked again at the new tail.
    if (Clock::now() >= deadline) return finish(q, std::error_code(JsErrc::timeout), started);
  }
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
