#include "eventlog/jetstream/detail/batch_appender.h"

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/errors.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

/// Records in one batch, at most, and their payloads' bytes (a NATS
/// message holds 1 MiB by default).
constexpr std::size_t kBatchRecords = 1024;
constexpr std::size_t kBatchBytes = 512 << 10;

}  // namespace

std::string batch_id_prefix(std::string_view writer) { return fmt::format("b/{}/", writer); }
std::string takeover_id_prefix(std::string_view writer) { return fmt::format("taken/{}/", writer); }

BatchAppender::BatchAppender(Connection& connection, Settings settings, Stream& stream)
    : connection_(connection), settings_(std::move(settings)), stream_(stream), thread_([this] {
        pthread_setname_np(pthread_self(), "oee-js-append");
        run();
      }) {}

void BatchAppender::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

WriteQueue::Joins BatchAppender::run_rule() {
  return [bytes = std::size_t{0}](const std::vector<QueuedWrite>& taken, const QueuedWrite& next) mutable {
    bytes += taken.back().command.payload.size();
    return taken.size() < kBatchRecords && bytes < kBatchBytes && !taken.front().take_over && !next.take_over;
  };
}

void BatchAppender::run() {
  for (;;) {
    auto run = queue_.take(run_rule());
    if (run.empty()) return;  // stopping, and drained
    if (run.front().take_over) {
      publish_takeover(run.front());
      continue;
    }
    publish_batch(run);
  }
}

// Judged on what is folded here, which is everything stored (the owner is
// the only writer, and it folds what it stores before it stores more).
// Within the run, an order's second write was not decided on its first,
// which has not landed yet: it is refused as moved on, unless it is the
// same request (a node that asked twice, its first answer lost). A replay
// of a client's key is answered with the order's fingerprint, wherever
// its first record is: earlier in this run, or stored.
BatchAppender::Judged BatchAppender::judge(const QueuedWrite& q, RunWrites& in_run) {
  if (q.ownership && !stream_.owns(*q.ownership)) return Judged{JsErrc::fenced};
  if (is_log_own_type(q.command.type)) return Judged{Judged::append};  // of no order
  const bool keyed_begin = q.command.begins && q.command.idempotency;
  if (const auto earlier = in_run.find(q.command.order); earlier != in_run.end()) {
    if (earlier->second.request == q.request) return Judged{Judged::same_as_earlier};
    if (!keyed_begin) return Judged{Judged::moved};
    if (earlier->second.begun_with) return Judged{Judged::exists, {}, *earlier->second.begun_with};
    auto found = stream_.find_request(q);  // the order's later write is in the run: its first record is stored
    if (!found) return Judged{found.error()};
    if (!found->order_exists) return Judged{Judged::moved};
    return Judged{Judged::exists, {}, found->fingerprint};
  }
  auto found = stream_.find_request(q);
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

void BatchAppender::publish_batch(std::vector<QueuedWrite>& run) {
  const auto started = Clock::now();
  const auto deadline = started + settings_.append_timeout;
  // Until what goes out lands: refused because something another writer
  // stored came first (an operator's, an older build's), the run is judged
  // again on what came, and what still goes goes again.
  for (;;) {
    // Where the batch goes, read together with the ownership it goes in: a
    // tail folded here that holds another node's PartitionTaken has ended
    // this node's ownership in the same fold, so a batch can never expect a
    // tail past another owner's takeover. The writes are judged on at
    // least what is folded up to it.
    const Tail tail = stream_.tail();
    if (!tail.ownership) {
      // Made here while this node owned the partition, and no longer: the
      // new owner is asked. An owner's writer's appends are fenced, another
      // node's forwards answered "unsent".
      for (auto& q : run) stream_.reroute(q);
      return;
    }
    RunWrites in_run;
    std::vector<QueuedWrite> going;
    std::vector<std::pair<QueuedWrite, std::size_t>> repeats;  // a write asked again within the run: its first's index
    Batch batch;
    batch.writer = settings_.writer;
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
          stream_.finish(q, AppendOutcome{judged.at, {}, std::nullopt}, started);
          break;
        case Judged::exists:
          stream_.finish(q, AppendOutcome{Seq{0}, {}, IdempotencyEntry{q.command.order, judged.fingerprint}}, started);
          break;
        case Judged::moved:
          stream_.finish(q, std::error_code(JsErrc::conflict), started);
          break;
        case Judged::failed:
          if (judged.error == JsErrc::fenced) {
            stream_.reroute(q);
          } else {
            stream_.finish(q, judged.error, started);
          }
          break;
      }
    }
    if (going.empty()) {
      for (auto& [q, k] : repeats) stream_.finish(q, std::error_code(JsErrc::conflict), started);
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
    if (!outcome && outcome.error() == JsErrc::wrong_last_sequence && stream_.owns(*tail.ownership) &&
        Clock::now() < deadline) {
      run = std::move(going);
      for (auto& [q, k] : repeats) run.push_back(std::move(q));
      continue;
    }
    for (std::size_t i = 0; i < going.size(); ++i) {
      if (!outcome && outcome.error() == JsErrc::fenced) {
        stream_.reroute(going[i]);
        continue;
      }
      stream_.finish(going[i],
                     outcome ? Result<AppendOutcome>(
                                   AppendOutcome{Seq{outcome->first.value + i}, going[i].command.ts, std::nullopt})
                             : Result<AppendOutcome>(outcome.error()),
                     started);
    }
    for (auto& [q, k] : repeats) {
      stream_.finish(q, outcome ? Result<AppendOutcome>(AppendOutcome{Seq{outcome->first.value + k}, {}, std::nullopt})
                                : Result<AppendOutcome>(outcome.error()),
                     started);
    }
    return;
  }
}

BatchEntry BatchAppender::entry_of(QueuedWrite& q) {
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

// A batch whose answer was lost is found by reading what the stream holds
// right after the tail. Refused (or found not to be there, something else
// in its place), what came is folded: JsErrc::fenced if it ended this
// node's ownership, else JsErrc::wrong_last_sequence, to judge the writes
// again.
Result<BatchAppender::Stored> BatchAppender::store_batch(Batch& batch, const Tail& tail, Clock::time_point deadline) {
  batch.place(tail.next_position, settings_.partition);
  batch.taken_at = tail.taken_at;
  const auto data = encode_batch(batch);
  Publish p;
  p.subject = stream_.subject_of(batch);
  p.data = data;
  p.msg_id = fmt::format("{}{}~{:08x}", batch_id_prefix(settings_.writer), batch.first.value, crc32c(data));
  p.headers = {{"Oee-Batch", fmt::format("{}+{}", batch.first.value, batch.entries.size())}};
  const Seq after = tail.stream_seq;
  p.expect_last_seq = after;
  const auto refused = [&]() -> std::error_code {
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (const auto ec = stream_.catch_up(deadline)) return ec;
    return stream_.owns(*tail.ownership) ? std::error_code(JsErrc::wrong_last_sequence)
                                         : std::error_code(JsErrc::fenced);
  };
  for (bool sent = false;;) {
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    if (ack && settings_.lose_ack && lose_ack_of(batch)) {
      spdlog::warn("partition {}: test hook: the acknowledgment of seq {} is dropped", settings_.partition,
                   ack->seq.value);
      ack = Result<PublishAck>(std::error_code(JsErrc::timeout));
    }
    if (ack) {
      const Stored stored{batch.first, ack->seq};
      // Folded before it goes out live, so whoever hears of it elsewhere
      // finds it here. The caller reads it again only when it was not stored.
      stream_.stored(std::move(batch), ack->seq, data);
      return stored;
    }
    const auto& e = ack.error();
    if (e == JsErrc::not_connected && !sent) return make_error_code(Errc::unavailable);
    if (e == JsErrc::wrong_last_sequence) return refused();
    if (e != JsErrc::timeout && e != JsErrc::not_connected) return e;
    sent = true;
    auto next = connection_.get(settings_.stream, after.next());
    if (next && *next) {
      if ((*next)->header("Nats-Msg-Id") == p.msg_id) {
        const Stored stored{batch.first, (*next)->seq};
        stream_.stored(std::move(batch), (*next)->seq, data);
        return stored;
      }
      return refused();
    }
    if (Clock::now() >= deadline) return std::error_code(JsErrc::timeout);
  }
}

bool BatchAppender::lose_ack_of(const Batch& batch) const {
  for (const auto& e : batch.entries) {
    AppendCommand c;
    c.order = e.record.order;
    c.type = e.record.type;
    if (settings_.lose_ack(c)) return true;
  }
  return false;
}

void BatchAppender::publish_takeover(QueuedWrite& q) {
  const auto started = Clock::now();
  const auto deadline = started + settings_.append_timeout;
  const auto taken = entry_of(q);
  // Once, before the tries: a later one only catches up on what came meanwhile.
  if (const auto ec = stream_.before_takeover()) return stream_.finish(q, ec, started);
  for (;;) {
    if (const auto ec = stream_.catch_up(deadline)) return stream_.finish(q, ec, started);
    // A takeover that outlived this node's lease (it waited on the servers,
    // or the node was paused) is not made: its lease's next holder, taking
    // itself for the owner, would serve reads from a fold that lacks it.
    // (The lease only makes that rare: such an owner also checks the
    // stream before it calls an order unknown.)
    if (!stream_.lease_fresh()) return stream_.finish(q, std::error_code(JsErrc::lease_lost), started);
    const Tail tail = stream_.tail();
    // An earlier try that landed made this node the owner as it was folded.
    if (tail.ownership) return stream_.finish(q, AppendOutcome{tail.taken_at, {}, std::nullopt}, started);
    Batch batch;
    batch.writer = settings_.writer;
    batch.entries.push_back(taken);
    batch.place(tail.next_position, settings_.partition);
    batch.taken_at = batch.first;  // the ownership this batch begins
    const auto data = encode_batch(batch);
    Publish p;
    p.subject = stream_.subject_of(batch);
    p.data = data;
    p.msg_id = fmt::format("{}{}", takeover_id_prefix(settings_.writer), batch.first.value);
    p.headers = {{"Oee-Batch", fmt::format("{}+1", batch.first.value)}};
    p.expect_last_seq = tail.stream_seq;
    p.timeout = std::min<std::chrono::milliseconds>(kPublishWait, left(deadline));
    auto ack = connection_.publish(p);
    if (ack) {
      const AppendOutcome outcome{batch.first, batch.entries.front().record.ts, std::nullopt};
      stream_.stored(std::move(batch), ack->seq, data);
      return stream_.finish(q, outcome, started);
    }
    if (ack.error() == JsErrc::not_connected) return stream_.finish(q, make_error_code(Errc::unavailable), started);
    if (ack.error() != JsErrc::wrong_last_sequence && ack.error() != JsErrc::timeout)
      return stream_.finish(q, ack.error(), started);
    // Another node stored something meanwhile (or the answer was lost):
    // folded, then asked again at the new tail.
    if (Clock::now() >= deadline) return stream_.finish(q, std::error_code(JsErrc::timeout), started);
  }
}

}  // namespace oee::eventlog::jetstream::detail
