// The partition log's first events: the creator sends those queued
// together, each create-only, or forwards them to the partition's owner;
// the owner takes other nodes' forwards into its pipeline
// (partition_appends.cpp); one that does not land cleanly is judged alone.
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace std::chrono_literals;

namespace {

/// How long a node waits for the owner's answer to forwarded first events
/// before it appends them itself (safe either way: create-only, one msg id).
constexpr auto kForwardWait = 1s;
/// After a forward went unanswered (an owner paused, or gone without its
/// connection closing, which the servers notice only later), how long the
/// node appends its first events itself instead of waiting on it again.
constexpr auto kForwardPause = 10s;

}  // namespace

void JetStreamPartitionLog::create_loop() {
  for (;;) {
    std::vector<Queued> run;
    {
      std::unique_lock lock(queue_mu_);
      firsts_cv_.wait(lock, [&] { return closing_ || !firsts_.empty(); });
      if (firsts_.empty()) return;  // closing, and drained
      while (!firsts_.empty() && run.size() < kPipeline) {
        run.push_back(std::move(firsts_.front()));
        firsts_.pop_front();
      }
    }
    publish_firsts(run);
  }
}

Publish JetStreamPartitionLog::first_publish(const Queued& q, std::string_view data) const {
  Publish p;
  p.subject = order_subject(options_.partition, q.command.order);
  p.data = data;
  p.msg_id = q.command.order.str() + "/first/" + writer();
  p.expect_new_subject = true;
  p.headers = {{"Oee-Writer", writer()}, {"Oee-Begins", "1"}};
  if (auto sets = sets_header(q.command); !sets.empty()) p.headers.emplace_back("Oee-Sets", std::move(sets));
  if (q.command.idempotency) p.headers.emplace_back("Oee-Fingerprint", q.command.idempotency->fingerprint);
  return p;
}

// First events of different orders do not depend on each other. While
// another node owns the partition they are forwarded to it, for its
// pipeline; those nobody takes (no owner now) go out together, each
// create-only on its own subject. One that did not land cleanly (refused,
// a duplicate, unanswered) is judged alone.
void JetStreamPartitionLog::publish_firsts(std::vector<Queued>& run) {
  const auto started = Clock::now();
  std::vector<std::pair<std::string, TimestampNs>> stored;
  std::vector<Publish> publishes;
  stored.reserve(run.size());
  publishes.reserve(run.size());
  for (auto& q : run) {
    stored.push_back(encoded(q));
    publishes.push_back(first_publish(q, stored.back().first));  // `stored` does not reallocate: reserved
  }
  std::vector<std::optional<Seq>> landed(run.size());
  std::vector<bool> maybe_sent(run.size(), false);  // its outcome is unknown
  std::vector<bool> refused(run.size(), false);     // the owner will not append it: nor may this node
  // Made by an owner that is one no more: not sent (publish_first says so).
  std::vector<std::size_t> direct;
  for (std::size_t i = 0; i < run.size(); ++i)
    if (!(run[i].ownership && !owns(*run[i].ownership))) direct.push_back(i);
  const auto wait = std::min<std::chrono::milliseconds>(kPublishWait, options_.append_timeout);
  if (!owned() && !direct.empty() && Clock::now() >= forwards_resume_at_) {
    std::vector<Publish> forwards;
    for (const auto i : direct) {
      Publish f = publishes[i];
      f.headers.emplace_back("Oee-Subject", f.subject);
      f.subject = forward_subject(options_.partition);
      forwards.push_back(std::move(f));
    }
    const auto answers = connection_.request_all(forwards, std::min<std::chrono::milliseconds>(kForwardWait, wait));
    std::vector<std::size_t> untaken;
    for (std::size_t k = 0; k < answers.size(); ++k) {
      const auto i = direct[k];
      if (!answers[k]) {
        if (answers[k].error() == JsErrc::not_found) untaken.push_back(i);
        maybe_sent[i] = answers[k].error() == JsErrc::timeout;
        if (maybe_sent[i]) forwards_resume_at_ = Clock::now() + kForwardPause;
        continue;
      }
      const std::string_view answer = *answers[k];
      std::uint64_t seq = 0;
      if (answer.starts_with("landed ") &&
          std::from_chars(answer.data() + 7, answer.data() + answer.size(), seq).ec == std::errc{} && seq > 0) {
        landed[i] = Seq{seq};
      } else if (answer.starts_with("refused")) {
        refused[i] = true;
      } else {
        maybe_sent[i] = answer != "unsent";
      }
    }
    direct = std::move(untaken);
  }
  if (!direct.empty()) {
    std::vector<Publish> sendable;
    for (const auto i : direct) sendable.push_back(publishes[i]);
    const auto acks = connection_.publish_all(sendable, wait);
    for (std::size_t k = 0; k < acks.size(); ++k) {
      if (acks[k] && !acks[k]->duplicate) landed[direct[k]] = acks[k]->seq;
      maybe_sent[direct[k]] = !acks[k] && acks[k].error() == JsErrc::timeout;
    }
  }
  for (std::size_t i = 0; i < run.size(); ++i) {
    if (landed[i]) {
      finish(run[i], AppendOutcome{*landed[i], {}, std::nullopt}, stored[i].second, started);
    } else if (refused[i]) {
      finish(run[i], std::error_code(JsErrc::refused), stored[i].second, started);
    } else {
      finish(run[i], publish_first(run[i], publishes[i], maybe_sent[i]), stored[i].second, started);
    }
  }
}

void JetStreamPartitionLog::serve_forwards(bool on) {
  std::unique_ptr<Service> ended;
  std::lock_guard lock(forwards_mu_);
  if (!on) {
    ended = std::move(forwards_);  // destroyed here: once it returns, no forward is being taken
    return;
  }
  if (forwards_) return;
  try {
    // A queue group: were a node that lost the partition still serving
    // (paused), one of the two takes each forward, never both.
    forwards_ = connection_.serve(forward_subject(options_.partition), "owner",
                                  [this](Request request) { on_forwarded(std::move(request)); });
  } catch (const std::exception& e) {
    // Other nodes then append their first events themselves.
    spdlog::warn("partition {}: cannot take other nodes' first events: {}", options_.partition, e.what());
  }
}

void JetStreamPartitionLog::on_forwarded(Request request) {
  if (request.reply.empty()) return;
  const auto subject = request.header("Oee-Subject");
  const auto msg_id = request.header("Nats-Msg-Id");
  if (!subject.starts_with(order_subject_prefix(options_.partition)) || msg_id.empty()) {
    (void)connection_.respond(request.reply, "unsent");
    return;
  }
  // Only what the forwarding path may carry, as this node judges it: the
  // NATS credentials let anyone ask, so the request proves nothing.
  if (options_.check_forwarded) {
    auto record = decode_record(request.data);
    std::string why;
    if (!record) {
      why = "it does not decode: " + record.error().message();
    } else if (subject != order_subject(options_.partition, record->order)) {
      why = "its subject is not its order's";
    } else {
      why = options_.check_forwarded(*record);
    }
    if (!why.empty()) {
      spdlog::warn("partition {}: refused a first event forwarded on {}: {}", options_.partition, request.subject, why);
      (void)connection_.respond(request.reply, "refused: " + why);
      return;
    }
  }
  Queued q;
  q.command.begins = true;
  q.done = [](const Result<AppendOutcome>&) {};  // answered by answer_forwarded
  {
    std::lock_guard lock(own_mu_);
    if (!owned_) {
      (void)connection_.respond(request.reply, "unsent");
      return;
    }
    q.ownership = ownership_;
  }
  Forwarded f;
  f.publish.subject = subject;
  f.publish.msg_id = msg_id;
  f.publish.expect_new_subject = true;
  for (const auto& [key, value] : request.headers)
    if (!key.starts_with("Nats-") && key != "Oee-Subject") f.publish.headers.emplace_back(key, value);
  f.data = std::move(request.data);
  f.reply = std::move(request.reply);
  q.forwarded = std::move(f);
  {
    std::lock_guard lock(queue_mu_);
    if (!closing_) {
      queue_.push_back(std::move(q));
      queue_cv_.notify_one();
      return;
    }
  }
  (void)connection_.respond(q.forwarded->reply, "unsent");
}

void JetStreamPartitionLog::answer_forwarded(const Queued& q, std::string_view outcome) {
  (void)connection_.respond(q.forwarded->reply, outcome);
}

Result<AppendOutcome> JetStreamPartitionLog::publish_first(Queued& q, Publish p, bool sent_before) {
  const auto& order = q.command.order;
  const auto deadline = Clock::now() + options_.append_timeout;
  for (bool retry = sent_before;; retry = true) {
    if (q.ownership && !owns(*q.ownership)) return std::error_code(JsErrc::fenced);
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    // A duplicate of a first try is an earlier request's (the same order
    // asked of this node again): judged below like another node's.
    if (ack && (!ack->duplicate || retry)) {
      // Not a fence for the next append: other nodes' events may lie
      // between this one and the tail folded here.
      return AppendOutcome{ack->seq, {}, std::nullopt};
    }
    if (!ack && ack.error() == JsErrc::not_connected) return make_error_code(Errc::unavailable);
    if (!ack && ack.error() == JsErrc::timeout) {
      if (Clock::now() < deadline) continue;  // the same msg id: stored once
      return ack.error();
    }
    if (!ack && ack.error() != JsErrc::wrong_last_sequence) return ack.error();
    // The order's subject holds an event: ours (an earlier try whose
    // answer was lost), or another request's for the same order id.
    auto first = connection_.read(stream_, p.subject, Seq{1}, 1);
    if (!first) return first.error();
    if (first->empty()) continue;  // gone meanwhile (never, short of an operator's purge)
    const auto& m = first->front();
    const auto stored_id = m.header("Nats-Msg-Id");
    if (retry && (stored_id == p.msg_id || stored_id.starts_with(p.msg_id + "#"))) return AppendOutcome{m.seq, {}, std::nullopt};
    if (q.command.idempotency)
      return AppendOutcome{Seq{0}, {}, IdempotencyEntry{order, std::string(m.header("Oee-Fingerprint"))}};
    return std::error_code(JsErrc::conflict);
  }
}

}  // namespace oee::eventlog::jetstream::detail
