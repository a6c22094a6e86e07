#include "eventlog/jetstream/detail/forwarder.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/forward_wire.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace forward_wire;

namespace {

std::optional<std::uint64_t> number_after(std::string_view answer, std::string_view prefix) {
  if (!answer.starts_with(prefix)) return std::nullopt;
  std::uint64_t n = 0;
  const auto* first = answer.data() + prefix.size();
  const auto* last = answer.data() + answer.size();
  if (std::from_chars(first, last, n).ptr != last || n == 0) return std::nullopt;
  return n;
}

}  // namespace

Forwarder::Forwarder(Connection& connection, PartitionId partition, std::chrono::milliseconds append_timeout, Log& log)
    : connection_(connection), partition_(partition), append_timeout_(append_timeout), log_(log), thread_([this] {
        pthread_setname_np(pthread_self(), "oee-js-forward");
        run();
      }) {}

Forwarder::~Forwarder() { stop(); }

void Forwarder::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void Forwarder::run() {
  for (;;) {
    auto run = queue_.take([](const std::vector<QueuedWrite>& taken, const QueuedWrite&) {
      return taken.size() < kPipeline;
    });
    if (run.empty()) return;  // stopping, and drained
    forward(run);
  }
}

Publish Forwarder::request_of(const QueuedWrite& q, std::string_view data) const {
  Publish f;
  f.subject = forward_subject(partition_);
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
void Forwarder::forward(std::vector<QueuedWrite>& run) {
  const auto started = Clock::now();
  const auto deadline = started + append_timeout_;
  std::vector<std::string> stored;
  std::vector<Publish> requests;
  stored.reserve(run.size());
  requests.reserve(run.size());
  for (auto& q : run) {
    if (q.command.ts.value == 0) q.command.ts = TimestampNs::now();
    stored.push_back(encode_record(Record{Seq{0}, q.command.order, q.command.ts, q.command.type, q.command.payload}));
    requests.push_back(request_of(q, stored.back()));  // `stored` does not reallocate: reserved
  }
  forwarded_.fetch_add(run.size(), std::memory_order_relaxed);
  // Why the write is still open: no owner answered, or one may have stored it.
  std::vector<std::error_code> pending(run.size(), make_error_code(Errc::no_owner));
  std::vector<std::size_t> open(run.size());
  for (std::size_t i = 0; i < run.size(); ++i) open[i] = i;
  const auto settle = [&](std::size_t i, Result<AppendOutcome> outcome) {
    if (outcome && !outcome->existing) outcome->ts = run[i].command.ts;
    log_.finish(run[i], std::move(outcome), started);
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
      log_.wait_for_order_past(run[i].command.order, run[i].basis, deadline);
      settle(i, std::error_code(JsErrc::conflict));
    }
    conflicts.clear();
  };
  while (!open.empty()) {
    if (log_.owned()) {
      // Taken over here meanwhile: this node stores what is still open
      // itself. Asked of the owners' queue group, a write could go on
      // reaching the paused owner it took over from, which answers nothing.
      for (const auto i : open) {
        run[i].sent_before = run[i].sent_before || pending[i] == JsErrc::timeout;
        log_.append_here(run[i]);
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
        spdlog::warn("partition {}: the owner refused a forwarded event: {}", partition_, answer);
        settle(i, std::error_code(JsErrc::refused));
      } else {
        if (answer != kUnsent) maybe_stored(i);
        again.push_back(i);
      }
    }
    settle_conflicts(conflicts);
    open = std::move(again);
    if (open.empty() || left(deadline) < kShortestAsk) break;
    closing = queue_.closed_within(std::min<std::chrono::milliseconds>(kOwnerPoll, left(deadline) - kShortestAsk));
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

}  // namespace oee::eventlog::jetstream::detail
