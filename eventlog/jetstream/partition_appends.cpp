// The partition log's appender: the owner's appends (its own, and those
// other nodes forward to it) as pipelines, each retried with its msg id
// after a lost answer and at the new tail after a refusal that concerns
// nobody else (partition_log.h); a takeover alone. A node that does not own
// the partition forwards its writes: partition_forwards.cpp; the owner's
// writer and the takeover: partition_ownership.cpp.
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace std::chrono_literals;

void JetStreamPartitionLog::append(AppendCommand command, AppendCompletion done) {
  enqueue(std::move(command), std::move(done), std::nullopt);
}

void JetStreamPartitionLog::enqueue(AppendCommand command, AppendCompletion done,
                                    std::optional<std::uint64_t> ownership) {
  Queued q{std::move(command), std::move(done), Seq{0}, ownership, false};
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
  if (!ownership && !owned()) {
    if (!queue_forward(q)) q.done(make_error_code(Errc::closed));
    return;
  }
  {
    std::lock_guard lock(queue_mu_);
    if (!closing_) {
      queue_.push_back(std::move(q));
      queue_cv_.notify_one();
      return;
    }
  }
  q.done(make_error_code(Errc::closed));
}

void JetStreamPartitionLog::append_all(std::vector<AppendRequest> requests) {
  for (auto& r : requests) append(std::move(r.command), std::move(r.done));
}

void JetStreamPartitionLog::append_loop() {
  const auto pipelined = [](const Queued& q) { return !q.take_over; };
  for (;;) {
    std::vector<Queued> run;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and drained
      // Appends waiting together go out as one pipeline; a takeover goes
      // alone.
      do {
        run.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!queue_.empty() && run.size() < kPipeline && pipelined(run.front()) && pipelined(queue_.front()));
    }
    if (!owned()) {
      // Made here while this node owned the partition, and no longer: the
      // new owner is asked. (An owner's writer's are fenced, another node's
      // forwards answered "unsent", in the pipeline.)
      std::erase_if(run, [&](Queued& q) {
        if (q.take_over || q.ownership || q.forwarded) return false;
        if (!queue_forward(q)) q.done(make_error_code(Errc::closed));
        return true;
      });
      if (run.empty()) continue;
    }
    if (run.front().take_over) {
      publish_takeover(run.front());
    } else {
      publish_pipeline(run);
    }
  }
}

std::pair<std::string, TimestampNs> JetStreamPartitionLog::encoded(Queued& q) const {
  if (q.forwarded) return {q.forwarded->data, TimestampNs{}};
  Record r{Seq{0}, q.command.order, q.command.ts.value == 0 ? TimestampNs::now() : q.command.ts, q.command.type,
           std::move(q.command.payload)};
  return {encode_record(r), r.ts};
}

Publish JetStreamPartitionLog::fenced_publish(const Queued& q, std::string_view data) const {
  if (q.forwarded) return forwarded_publish(q, data);
  Publish p;
  p.data = data;
  if (q.take_over) {
    p.subject = partition_subject(options_.partition, "taken");
    p.msg_id = fmt::format("taken/{}/{}", writer(), Clock::now().time_since_epoch().count());
  } else {
    p.subject = order_subject(options_.partition, q.command.order);
    // With a digest of what it carries: a publish retried after a lost
    // answer is found as stored, and an event decided again on the same
    // basis (different content) is never taken for it.
    p.msg_id = fmt::format("{}@{}:{}/{}~{:08x}", q.command.order.str(), q.basis.value, q.command.type, writer(),
                           crc32c(data));
  }
  p.headers = {{"Oee-Writer", writer()}};
  if (auto sets = sets_header(q.command); !sets.empty()) p.headers.emplace_back("Oee-Sets", std::move(sets));
  return p;
}

void JetStreamPartitionLog::publish_takeover(Queued& q) {
  const auto [data, ts] = encoded(q);
  const auto started = Clock::now();
  auto outcome = publish_fenced(q, data);
  finish(q, std::move(outcome), ts, started);
}

void JetStreamPartitionLog::finish(Queued& q, Result<AppendOutcome> outcome, TimestampNs ts, Clock::time_point started) {
  stats_.append_latency_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
  if (!outcome) {
    stats_.failed_commits.fetch_add(1, std::memory_order_relaxed);
    // Above the log, a lost answer is a timeout like any other.
    if (outcome.error() == JsErrc::timeout) return q.done(std::make_error_code(std::errc::timed_out));
    return q.done(outcome.error());
  }
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  outcome->ts = ts;
  if (outcome->existing) return q.done(*outcome);
  complete_at(outcome->seq, std::move(q.done), *outcome);
}

// The fence holds for the whole pipeline: its first publish lands only on
// the tail this node knows, and each other only right after the one before
// it, so no event of another node (a PartitionTaken) can come between.
// Refused because another node's event came between, the rest goes out
// again as a pipeline at the new tail. First events (this node's, and
// those other nodes forward to the owner) ride in the pipeline too, each
// also create-only; one that does not land there is settled alone.
void JetStreamPartitionLog::publish_pipeline(std::vector<Queued>& run) {
  const auto started = Clock::now();
  const auto deadline = started + options_.append_timeout;
  std::vector<std::pair<std::string, TimestampNs>> stored;
  stored.reserve(run.size());
  for (auto& q : run) stored.push_back(encoded(q));
  // Sent, and not answered: its outcome is unknown.
  std::vector<bool> maybe_sent(run.size(), false);
  const auto settle_first = [&](std::size_t i) {
    finish(run[i], publish_first(run[i], first_publish(run[i], stored[i].first), maybe_sent[i] || run[i].sent_before),
           stored[i].second, started);
  };
  std::size_t i = 0;
  while (i < run.size()) {
    std::vector<Publish> publishes;
    // Each publish expects the stream's last seq, the k-th of the run tail
    // + k - 1, which the servers check when they apply it; and the msg id
    // of the one before it, which a replica restored from a snapshot may
    // have lost.
    const std::uint64_t tail = std::max(tail_, head().value);
    // The fence says only that nothing this node has not appended or
    // folded came before: what came up to `tail` is judged here, each
    // append on its own order, so none goes out past an event of its order
    // it was not decided on (a cancel another node forwarded while the
    // executor's step was queued). An append after another of its order in
    // this run was not decided on that one, which has not landed yet.
    // (A node that asked twice, the first answer lost, may have both in
    // one run: the second is the first's msg id, stored once.)
    // Each order of an append kept for this round, and that append's msg id
    // if it was forwarded.
    std::unordered_map<OrderId, std::string, OrderIdHash> in_run;
    const auto forwarded_id = [](const Queued& q) { return q.forwarded ? q.forwarded->publish.msg_id : std::string{}; };
    for (std::size_t j = i; j < run.size();) {
      const auto earlier = in_run.find(run[j].command.order);
      const bool behind =
          earlier != in_run.end() && !(run[j].forwarded && earlier->second == forwarded_id(run[j]));
      if (run[j].command.begins) {
        in_run.emplace(run[j].command.order, forwarded_id(run[j]));
        ++j;
        continue;
      }
      const auto moved = behind ? Verdict{false, {}, JsErrc::conflict} : judge_on_folded(run[j], stored[j].first);
      if (moved.retry) {
        in_run.emplace(run[j].command.order, forwarded_id(run[j]));
        ++j;
        continue;
      }
      finish(run[j], moved.error ? Result<AppendOutcome>(moved.error) : AppendOutcome{moved.landed, {}, std::nullopt},
             stored[j].second, started);
      run.erase(run.begin() + static_cast<std::ptrdiff_t>(j));
      stored.erase(stored.begin() + static_cast<std::ptrdiff_t>(j));
      maybe_sent.erase(maybe_sent.begin() + static_cast<std::ptrdiff_t>(j));
    }
    if (i >= run.size()) break;
    for (std::size_t k = i; k < run.size() && !(run[k].ownership && !owns(*run[k].ownership)); ++k) {
      Publish p = pipelined_publish(run[k], stored[k].first);
      p.expect_last_seq = Seq{tail + publishes.size()};
      if (!publishes.empty()) p.expect_last_msg_id = publishes.back().msg_id;
      publishes.push_back(std::move(p));
    }
    if (publishes.empty()) break;  // no longer the owner: the rest is fenced, one at a time below
    auto acks = connection_.publish_all(publishes, std::min<std::chrono::milliseconds>(kPublishWait, left(deadline)));
    if (options_.lose_ack) {
      for (std::size_t k = 0; k < acks.size(); ++k) {
        if (!acks[k] || run[i + k].forwarded || !options_.lose_ack(run[i + k].command)) continue;
        spdlog::warn("partition {}: test hook: the acknowledgment of seq {} is dropped", options_.partition,
                     acks[k]->seq.value);
        acks[k] = Result<PublishAck>(std::error_code(JsErrc::timeout));
      }
    }
    std::size_t k = 0;
    // A first event stored before (a duplicate) is another request's.
    for (; k < acks.size() && acks[k] && !(run[i].command.begins && acks[k]->duplicate); ++k, ++i) {
      tail_ = std::max(tail_, acks[k]->seq.value);
      note_landed(run[i], acks[k]->seq);
      finish(run[i], AppendOutcome{acks[k]->seq, {}, std::nullopt}, stored[i].second, started);
    }
    if (k == acks.size()) continue;
    for (std::size_t j = k; j < acks.size(); ++j) maybe_sent[i + j - k] = !acks[j] && acks[j].error() == JsErrc::timeout;
    // Landed and still stopped at: a first event's duplicate, refused as well.
    const bool refused = acks[k] || acks[k].error() == JsErrc::wrong_last_sequence;
    if (run[i].command.begins) {
      // Refused for its subject (the order exists) or because the pipeline
      // was broken: settled alone either way.
      settle_first(i++);
      if (refused) continue;
      break;
    }
    // Unanswered or failed otherwise: one at a time, each judged as a lone
    // append is (one that landed after all is found by its msg id).
    if (!refused || Clock::now() >= deadline) break;
    refused_.fetch_add(1, std::memory_order_relaxed);
    const auto verdict = after_refusal(run[i], stored[i].first);
    if (!verdict.retry) {
      finish(run[i], verdict.error ? Result<AppendOutcome>(verdict.error) : AppendOutcome{verdict.landed, {}, std::nullopt},
             stored[i].second, started);
      ++i;
    }
  }
  for (; i < run.size(); ++i) {
    if (run[i].command.begins) {
      settle_first(i);
    } else {
      finish(run[i], publish_fenced(run[i], stored[i].first), stored[i].second, started);
    }
  }
}

// A first event's msg id in a pipeline is its own plus a suffix no other
// publish has: the next publish expects it as the stream's last, and a
// duplicate (an earlier request's) would let that expectation be met by a
// message stored long before, past another node's PartitionTaken. The
// order's subject, create-only, still stores it once; publish_first knows
// it as its own by the prefix.
Publish JetStreamPartitionLog::pipelined_publish(const Queued& q, std::string_view data) {
  if (!q.command.begins) return fenced_publish(q, data);
  Publish p = first_publish(q, data);
  p.msg_id += fmt::format("#{}/{}", writer(), ++pipelined_firsts_);
  return p;
}

Result<AppendOutcome> JetStreamPartitionLog::publish_fenced(Queued& q, const std::string& data) {
  Publish p = fenced_publish(q, data);
  const auto deadline = Clock::now() + options_.append_timeout;
  std::uint64_t expected = std::max(tail_, head().value);
  for (;;) {
    // Checked before every try: the tail it expects may already be past
    // another node's PartitionTaken, or past an event of its order.
    if (q.ownership && !owns(*q.ownership)) return std::error_code(JsErrc::fenced);
    if (!q.take_over) {
      const auto moved = judge_on_folded(q, data);
      if (moved.error) return moved.error;
      if (!moved.retry) return AppendOutcome{moved.landed, {}, std::nullopt};
    }
    p.expect_last_seq = Seq{expected};
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    if (ack) {
      tail_ = std::max(tail_, ack->seq.value);
      note_landed(q, ack->seq);
      return AppendOutcome{ack->seq, {}, std::nullopt};
    }
    if (ack.error() == JsErrc::not_connected) return make_error_code(Errc::unavailable);
    if (ack.error() == JsErrc::timeout) {
      if (Clock::now() < deadline) continue;
      return ack.error();
    }
    if (ack.error() != JsErrc::wrong_last_sequence) return ack.error();
    refused_.fetch_add(1, std::memory_order_relaxed);
    const auto verdict = after_refusal(q, data);
    if (verdict.error) return verdict.error;
    if (!verdict.retry) return AppendOutcome{verdict.landed, {}, std::nullopt};
    if (Clock::now() >= deadline) return std::error_code(JsErrc::timeout);
    expected = std::max(tail_, head().value);
  }
}

JetStreamPartitionLog::Verdict JetStreamPartitionLog::after_refusal(const Queued& q, std::string_view data) {
  auto state = connection_.stream_state(stream_);
  if (!state) return Verdict{false, {}, state.error()};
  // Fold what came meanwhile before judging it. The next try expects the
  // tail as folded here, never beyond: an event this node has not folded
  // may be another node's PartitionTaken.
  const auto deadline = Clock::now() + options_.append_timeout;
  while (head() < state->last) {
    if (Clock::now() > deadline) return Verdict{false, {}, JsErrc::timeout};
    (void)wait_beyond(head(), 200ms);
  }
  if (q.take_over) {
    // An earlier try that landed made this node the owner as it was folded.
    std::lock_guard lock(own_mu_);
    if (owned_) return Verdict{false, taken_at_, {}};
    return Verdict{true, {}, {}};
  }
  return judge_on_folded(q, data);
}

JetStreamPartitionLog::Verdict JetStreamPartitionLog::judge_on_folded(const Queued& q, std::string_view data) {
  if (q.ownership && !owns(*q.ownership)) return Verdict{false, {}, JsErrc::fenced};
  auto seqs = order_seqs(q.command.order);
  if (!seqs) return Verdict{false, {}, seqs.error()};
  const auto after_basis = std::upper_bound(seqs->begin(), seqs->end(), q.basis);
  Seq next{};  // the order's first event after the basis
  if (after_basis != seqs->end()) {
    next = *after_basis;
  } else if (const auto u = unfolded_.find(q.command.order); u != unfolded_.end() && u->second > q.basis.value) {
    next = Seq{u->second};  // appended here, not folded yet
  }
  if (next.value == 0) return Verdict{true, {}, {}};  // nothing of this order came: retry at the tail
  // An event of the order came after the one this append was decided on:
  // ours, if an earlier try landed, or someone else's.
  auto m = connection_.get(stream_, next);
  if (!m) return Verdict{false, {}, m.error()};
  // Its msg id only now, when something came: the digest reads the event.
  if (*m && (*m)->header("Nats-Msg-Id") == fenced_publish(q, data).msg_id) return Verdict{false, (*m)->seq, {}};
  return Verdict{false, {}, JsErrc::conflict};
}

void JetStreamPartitionLog::note_landed(const Queued& q, Seq seq) {
  if (q.take_over) return;
  // What the follower has folded is in the index: forgotten here.
  if (unfolded_.size() >= 4096) std::erase_if(unfolded_, [h = head().value](const auto& e) { return e.second <= h; });
  auto& last = unfolded_[q.command.order];
  last = std::max(last, seq.value);
}

Result<std::vector<Seq>> JetStreamPartitionLog::order_seqs(const OrderId& order) const {
  if (auto seqs = index_.seqs(order)) return std::move(*seqs);
  if (auto done = recall_finished(order)) return std::move(done->seqs);
  auto record = fold_order(order, head());
  if (!record) return record.error();
  if (!*record) return std::vector<Seq>{};
  return std::move((*record)->seqs);
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
