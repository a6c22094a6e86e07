// The partition log's forwards: a node that does not own the partition
// sends its writes to the owner, which judges each and appends it in its
// batches (partition_appends.cpp) and answers how it went.
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

// The owner's answers to a forward.
constexpr std::string_view kLanded = "landed ";      // + seq: stored there
constexpr std::string_view kExisting = "existing ";  // + fingerprint: the idempotency key's order exists
constexpr std::string_view kConflict = "conflict";   // the order moved past the forward's basis
constexpr std::string_view kRefused = "refused";     // + ": why": not a write the path may carry
constexpr std::string_view kUnsent = "unsent";       // nothing stored: no longer the owner, or closing
constexpr std::string_view kUnknown = "unknown";     // sent, unanswered: ask again with the same request id

std::string forward_answer(const Result<AppendOutcome>& outcome) {
  if (outcome) {
    if (outcome->existing) return fmt::format("{}{}", kExisting, outcome->existing->fingerprint);
    return fmt::format("{}{}", kLanded, outcome->seq.value);
  }
  const auto& e = outcome.error();
  if (e == JsErrc::conflict) return std::string(kConflict);
  if (e == JsErrc::refused) return std::string(kRefused);
  if (e == JsErrc::fenced || e == Errc::closed || e == Errc::unavailable) return std::string(kUnsent);
  return std::string(kUnknown);
}

std::optional<std::uint64_t> number_after(std::string_view answer, std::string_view prefix) {
  if (!answer.starts_with(prefix)) return std::nullopt;
  std::uint64_t n = 0;
  const auto* first = answer.data() + prefix.size();
  const auto* last = answer.data() + answer.size();
  if (std::from_chars(first, last, n).ptr != last || n == 0) return std::nullopt;
  return n;
}

}  // namespace

void JetStreamPartitionLog::append_here(Queued& q) {
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

bool JetStreamPartitionLog::queue_forward(Queued& q) {
  std::lock_guard lock(queue_mu_);
  if (closing_) return false;
  to_forward_.push_back(std::move(q));
  to_forward_cv_.notify_one();
  return true;
}

void JetStreamPartitionLog::forward_loop() {
  for (;;) {
    std::vector<Queued> run;
    {
      std::unique_lock lock(queue_mu_);
      to_forward_cv_.wait(lock, [&] { return closing_ || !to_forward_.empty(); });
      if (to_forward_.empty()) return;  // closing, and drained
      while (!to_forward_.empty() && run.size() < kPipeline) {
        run.push_back(std::move(to_forward_.front()));
        to_forward_.pop_front();
      }
    }
    forward(run);
  }
}

Publish JetStreamPartitionLog::forward_request(const Queued& q, std::string_view data) const {
  Publish f;
  f.subject = forward_subject(options_.partition);
  f.data = data;
  f.headers = {{"Oee-Request", q.request}};
  if (q.command.begins) f.headers.emplace_back("Oee-Begins", "1");
  else f.headers.emplace_back("Oee-Basis", std::to_string(q.basis.value));
  if (auto sets = sets_header(q.command); !sets.empty()) f.headers.emplace_back("Oee-Sets", std::move(sets));
  if (q.command.idempotency) f.headers.emplace_back("Oee-Fingerprint", q.command.idempotency->fingerprint);
  return f;
}

// The owner is asked for every write of the run at once. One it has not
// answered is asked again, with the same request id, until the append timeout:
// had it landed, the owner finds it by that id rather than storing it twice.
void JetStreamPartitionLog::forward(std::vector<Queued>& run) {
  const auto started = Clock::now();
  const auto deadline = started + options_.append_timeout;
  std::vector<std::string> stored;
  std::vector<Publish> requests;
  stored.reserve(run.size());
  requests.reserve(run.size());
  for (auto& q : run) {
    if (q.command.ts.value == 0) q.command.ts = TimestampNs::now();
    stored.push_back(encode_record(Record{Seq{0}, q.command.order, q.command.ts, q.command.type, q.command.payload}));
    requests.push_back(forward_request(q, stored.back()));  // `stored` does not reallocate: reserved
  }
  forwarded_.fetch_add(run.size(), std::memory_order_relaxed);
  // Why the write is still open: no owner answered, or one may have stored it.
  std::vector<std::error_code> pending(run.size(), make_error_code(Errc::no_owner));
  std::vector<std::size_t> open(run.size());
  for (std::size_t i = 0; i < run.size(); ++i) open[i] = i;
  const auto settle = [&](std::size_t i, Result<AppendOutcome> outcome) {
    if (outcome && !outcome->existing) outcome->ts = run[i].command.ts;
    finish(run[i], std::move(outcome), started);
  };
  // Sent, and not answered: the owner that takes it next is told so, for a
  // first event it finds stored may then be this one.
  const auto maybe_stored = [&](std::size_t i) {
    if (pending[i] != JsErrc::timeout) requests[i].headers.emplace_back("Oee-Retry", "1");
    pending[i] = make_error_code(JsErrc::timeout);
  };
  bool closing = false;
  // The order moved past the event's basis: answered once this node has
  // folded what came, so that its caller decides again on the new state.
  const auto settle_conflicts = [&](std::vector<std::size_t>& conflicts) {
    for (const auto i : conflicts) {
      for (;;) {
        auto seqs = order_seqs(run[i].command.order);
        if (!seqs || (!seqs->empty() && seqs->back() > run[i].basis) || Clock::now() >= deadline) break;
        (void)wait_beyond(head(), std::min<std::chrono::milliseconds>(kOwnerPoll, left(deadline)));
      }
      settle(i, std::error_code(JsErrc::conflict));
    }
    conflicts.clear();
  };
  while (!open.empty()) {
    if (owned()) {
      // Taken over here meanwhile: this node stores what is still open
      // itself. Asked of the owners' queue group, a write could go on
      // reaching the paused owner it took over from, which answers nothing.
      for (const auto i : open) {
        run[i].sent_before = run[i].sent_before || pending[i] == JsErrc::timeout;
        append_here(run[i]);
      }
      return;
    }
    std::vector<Publish> asked;
    for (const auto i : open) asked.push_back(requests[i]);
    const auto answers = connection_.request_all(asked, std::min<std::chrono::milliseconds>(kOwnerWait, left(deadline)));
    std::vector<std::size_t> again, conflicts;
    for (std::size_t k = 0; k < answers.size(); ++k) {
      const auto i = open[k];
      if (!answers[k]) {
        const auto& e = answers[k].error();
        if (e == JsErrc::not_found) {
          again.push_back(i);  // nobody serves the partition's forwards: no owner yet
        } else if (e == JsErrc::timeout) {
          maybe_stored(i);  // an owner paused or gone: its successor is asked next
          again.push_back(i);
        } else if (e == JsErrc::not_connected) {
          settle(i, make_error_code(Errc::unavailable));
        } else {
          settle(i, e);
        }
        continue;
      }
      const std::string_view answer = *answers[k];
      if (const auto seq = number_after(answer, kLanded)) {
        settle(i, AppendOutcome{Seq{*seq}, {}, std::nullopt});
      } else if (answer.starts_with(kExisting) && run[i].command.idempotency) {
        settle(i, AppendOutcome{Seq{0}, {}, IdempotencyEntry{run[i].command.order, std::string(answer.substr(kExisting.size()))}});
      } else if (answer == kConflict) {
        conflicts.push_back(i);
      } else if (answer.starts_with(kRefused)) {
        spdlog::warn("partition {}: the owner refused a forwarded event: {}", options_.partition, answer);
        settle(i, std::error_code(JsErrc::refused));
      } else {
        if (answer != kUnsent) maybe_stored(i);
        again.push_back(i);
      }
    }
    settle_conflicts(conflicts);
    open = std::move(again);
    if (open.empty() || left(deadline) < kShortestAsk) break;
    std::unique_lock lock(queue_mu_);
    closing = to_forward_cv_.wait_for(lock, std::min<std::chrono::milliseconds>(kOwnerPoll, left(deadline) - kShortestAsk),
                                      [&] { return closing_; });
    if (closing) break;
  }
  for (const auto i : open) {
    // Asked of no owner, or of none that answered: a write that may have
    // been stored is unknown (a timeout above the log), else not stored.
    if (pending[i] == JsErrc::timeout) {
      settle(i, std::error_code(JsErrc::timeout));
    } else {
      settle(i, make_error_code(closing ? Errc::closed : Errc::no_owner));
    }
  }
}

void JetStreamPartitionLog::serve_other_nodes(bool on) {
  std::unique_ptr<Service> forwards, reads;
  std::lock_guard lock(services_mu_);
  if (!on) {
    // Destroyed here: once this returns, no request is being served.
    forwards = std::move(forward_service_);
    reads = std::move(read_service_);
    return;
  }
  try {
    // Queue groups: were a node that lost the partition still serving
    // (paused), one of the two takes each request, never both.
    if (!forward_service_)
      forward_service_ = connection_.serve(forward_subject(options_.partition), "owner",
                                           [this](Request request) { on_forwarded(std::move(request)); });
    if (!read_service_)
      read_service_ = connection_.serve(read_subject(options_.partition), "owner",
                                        [this](Request request) { on_read(std::move(request)); });
  } catch (const std::exception& e) {
    // Other nodes' writes and reads then wait for an owner that serves them.
    spdlog::warn("partition {}: cannot serve other nodes: {}", options_.partition, e.what());
  }
}

// A forward is judged here, by the owner: the NATS credentials let anyone
// ask, so the request proves nothing about what it carries.
void JetStreamPartitionLog::on_forwarded(Request request) {
  const std::string request_id(request.header("Oee-Request"));
  const bool begins = request.header("Oee-Begins") == "1";
  const auto basis_text = request.header("Oee-Basis");
  std::uint64_t basis = 0;
  const bool basis_ok =
      begins ? basis_text.empty()
             : std::from_chars(basis_text.data(), basis_text.data() + basis_text.size(), basis).ptr ==
                       basis_text.data() + basis_text.size() && !basis_text.empty();
  auto sets = parse_sets(request.header("Oee-Sets"));
  auto record = decode_record(request.data);
  std::string why;
  if (request.reply.empty()) {
    why = "it awaits no answer";
  } else if (request_id.empty() || !basis_ok || !sets) {
    why = "it is not a write to this partition's orders";
  } else if (!record) {
    why = "it does not decode: " + record.error().message();
  } else if (is_log_own_type(record->type)) {
    why = "it is one of the log's own events";
  } else if (options_.check_forwarded) {
    why = options_.check_forwarded(*record, begins);
  }
  if (!why.empty()) {
    if (const auto say = refused_forwards_.count())
      spdlog::warn("partition {}: refused {} event{} forwarded on {}, the last because {}", options_.partition, say,
                   say == 1 ? "" : "s", request.subject, why);
    if (!request.reply.empty()) (void)connection_.respond(request.reply, fmt::format("{}: {}", kRefused, why));
    return;
  }
  Queued q;
  q.command.order = record->order;
  q.command.ts = record->ts;
  q.command.type = record->type;
  q.command.payload = std::move(record->payload);
  q.command.begins = begins;
  q.command.set_membership = std::move(*sets);
  if (const auto fingerprint = request.header("Oee-Fingerprint"); begins && !fingerprint.empty())
    q.command.idempotency = IdempotencyClaim{{}, std::string(fingerprint)};
  q.basis = Seq{basis};
  q.request = request_id;
  q.forwarded = true;
  q.sent_before = request.header("Oee-Retry") == "1";
  q.done = [this, reply = request.reply](const Result<AppendOutcome>& outcome) {
    (void)connection_.respond(reply, forward_answer(outcome));
  };
  {
    std::lock_guard lock(own_mu_);
    if (!owned_) {
      (void)connection_.respond(request.reply, kUnsent);
      return;
    }
    q.ownership = ownership_;
  }
  {
    std::lock_guard lock(queue_mu_);
    if (!closing_) {
      queue_.push_back(std::move(q));
      queue_cv_.notify_one();
      return;
    }
  }
  (void)connection_.respond(request.reply, kUnsent);
}

}  // namespace oee::eventlog::jetstream::detail
