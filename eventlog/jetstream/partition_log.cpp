// The partition log's opening, folds and reads (partition_follow.cpp: the
// follower; partition_appends.cpp: appends).
#include <charconv>
#include <stdexcept>

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"
#include "schemas/cluster_events_generated.h"

namespace oee::eventlog::jetstream {

namespace detail {

namespace {

using namespace std::chrono_literals;
using Index = ::oee::eventlog::detail::OrderIndex;

}  // namespace

JetStreamPartitionLog::JetStreamPartitionLog(Connection& connection, PartitionLogOptions options)
    : connection_(connection),
      options_(std::move(options)),
      stream_(partition_stream(options_.partition)),
      subjects_(fmt::format("oee.p{}.>", options_.partition)) {
  StreamSpec spec;
  spec.name = stream_;
  spec.subjects = {subjects_};
  spec.replicas = options_.replicas;
  open_stream(connection_, spec);
  folds_unowned_.store(options_.follow_unowned, std::memory_order_release);
  Checkpointer::Writes writes;
  writes.is_owner = [this] { return ownership_.wanted(); };
  writes.write_segment = [this](std::vector<IndexedOrder> orders) { return segments_.write(std::move(orders)); };
  writes.write_checkpoint = [this](Seq at, const std::string& blob) { return checkpoints_.write(at, blob); };
  writes.written = [this](Seq at) {
    stats_->checkpoints.fetch_add(1, std::memory_order_relaxed);
    announce_checkpoint(at);
  };
  checkpointer_ = std::make_unique<Checkpointer>(options_.partition, std::move(writes));
  refuse_older_format();
  open_from_checkpoint();
  if (!options_.follow_unowned) {
    // The listeners hear what comes after the opening.
    auto stored = patiently([&] { return stored_head(); }, kOpenPatience);
    if (!stored)
      throw std::runtime_error(fmt::format("cannot read stream {}: {}", stream_, stored.error().message()));
    heard_.store(std::max(stored->value, folded().value), std::memory_order_release);
  } else {
    auto sub = patiently([&] { return connection_.follow(stream_, subjects_, tail_seq().next()); }, kOpenPatience);
    if (!sub)
      throw std::runtime_error(fmt::format("cannot follow stream {} in the NATS cluster: {}", stream_,
                                           sub.error().message()));
    subscription_ = std::move(*sub);
  }
  // Named, for top -H, perf and the bench's count of wake-ups per thread.
  const auto named = [this](const char* name, void (JetStreamPartitionLog::*loop)()) {
    return std::thread([this, name, loop] {
      pthread_setname_np(pthread_self(), name);
      (this->*loop)();
    });
  };
  follower_ = named("oee-js-follow", &JetStreamPartitionLog::follow_loop);
  forwarder_ = std::make_unique<Forwarder>(connection_, options_.partition, options_.append_timeout,
                                           static_cast<Forwarder::Log&>(*this));
  appender_ = std::make_unique<BatchAppender>(
      connection_, BatchAppender::Settings{options_.partition, stream_, writer(), options_.append_timeout, options_.lose_ack},
      static_cast<BatchAppender::Stream&>(*this));
}

JetStreamPartitionLog::~JetStreamPartitionLog() { (void)close(); }

void JetStreamPartitionLog::catch_up_at_open() {
  auto state = connection_.stream_state(stream_);
  if (!state)
    throw std::runtime_error(fmt::format("cannot read stream {}: {}", stream_, state.error().message()));
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (tail_seq() < state->last) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(fmt::format("stream {} was not read to its end (seq {} of {}) in time", stream_,
                                           tail_seq().value, state->last.value));
    (void)wait_beyond(folded(), 500ms);
  }
}

// A partition written before record batches (a message per event, on a
// subject per order) is not read: cluster mode had no release then, and
// its positions would not be what they were.
void JetStreamPartitionLog::refuse_older_format() {
  auto state = patiently([&] { return connection_.stream_state(stream_); }, kOpenPatience);
  if (!state)
    throw std::runtime_error(fmt::format("cannot read stream {}: {}", stream_, state.error().message()));
  if (state->messages == 0) return;
  auto first = patiently([&] { return connection_.get(stream_, state->first); }, kOpenPatience);
  if (!first)
    throw std::runtime_error(fmt::format("cannot read stream {}: {}", stream_, first.error().message()));
  if (*first && (*first)->subject != batch_subject(options_.partition) &&
      (*first)->subject != shared_batch_subject(options_.partition))
    throw std::runtime_error(fmt::format(
        "stream {} holds a cluster log of the format before record batches (one event per message, on "
        "subjects oee.p{}.o.<order>), which this build does not read: start it on servers of its own, or remove "
        "the old log's streams (OEE_P*, OEE_CKPT, OEE_CHAIN) and buckets (oee-meta, oee-leases, oee-chain)",
        stream_, options_.partition));
}

void JetStreamPartitionLog::fold_stored(Batch batch, Seq stream_seq) {
  std::vector<std::pair<Batch, Seq>> one;
  one.emplace_back(std::move(batch), stream_seq);
  fold_batches(one);
}

void JetStreamPartitionLog::fold_batches(std::vector<std::pair<Batch, Seq>>& batches) {
  std::lock_guard fold_lock(fold_mu_);
  std::vector<Record> records;
  Seq last = folded();
  Seq last_stream = tail_seq();
  for (auto& [batch, stream_seq] : batches) {
    if (stream_seq <= last_stream) continue;  // folded already (the owner folds what it stores)
    last_stream = stream_seq;
    if (batch.entries.empty()) continue;
    if (batch.first != last.next()) {
      // Only the owner writes, each batch right after the last: a batch that
      // does not follow on is not one this log can have.
      spdlog::error("partition {}: the batch at stream seq {} begins at position {}, not {}; it is skipped",
                    options_.partition, stream_seq.value, batch.first.value, last.next().value);
      continue;
    }
    batches_.note(batch, stream_seq);
    for (auto& e : batch.entries) {
      if (e.record.type == kPartitionTakenType) {
        fold_taken(e.record);
      } else if (e.record.type == kCheckpointedType) {
        fold_checkpointed(e.record);
      } else {
        fold_event(e, batch.writer);
      }
      records.push_back(std::move(e.record));
    }
    last = batch.last();
  }
  tail_seq_.store(last_stream.value, std::memory_order_release);
  if (last <= folded()) return;
  const auto folded = records.size();
  stats_->events.fetch_add(records.size(), std::memory_order_relaxed);
  stats_->open_orders.store(index_.size(), std::memory_order_relaxed);
  // As the embedded log: the head moves, then the listeners hear the
  // records, then the appends that wrote them complete.
  std::vector<std::pair<AppendCompletion, AppendOutcome>> ready;
  {
    std::lock_guard lock(head_mu_);
    head_.store(last.value, std::memory_order_release);
    const auto end = waiting_.upper_bound(last.value);
    for (auto it = waiting_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), end);
  }
  head_cv_.notify_all();
  hear(records, false);  // those the listeners did not hear live, while this node was behind
  for (auto& [done, outcome] : ready) done(outcome);
  maybe_checkpoint(folded);
}

void JetStreamPartitionLog::fold_event(const BatchEntry& e, const std::string& batch_writer) {
  const Record& r = e.record;
  remember_request(e, batch_writer);
  const Index::Entry* open = index_.find(r.order);
  std::string before;
  std::optional<Index::Entry> reopened;
  if (open != nullptr) {
    before = open->snapshot;
  } else if (!e.begins) {
    // A later event of an order that finished: its state is the fold of
    // its events before this one, kept here if it finished lately.
    Result<std::optional<IndexedOrder>> record = std::optional<IndexedOrder>{};
    if (auto done = finished_.recall(r.order); done && done->seqs.back() < r.seq) {
      record = std::optional<IndexedOrder>(std::move(*done));
    } else {
      record = fold_order(r.order, Seq{r.seq.value - 1});
    }
    if (record && *record) {
      before = (*record)->snapshot;
      reopened = Index::Entry{std::move((*record)->snapshot), std::move((*record)->seqs)};
    } else if (!record) {
      spdlog::error("partition {}: cannot read order {} to fold seq {}: {}", options_.partition, r.order.str(),
                    r.seq.value, record.error().message());
    }
  }
  auto folded = options_.fold ? options_.fold(before, r) : Result<FoldedEvent>(FoldedEvent{before, false});
  if (!folded) {
    // Skipped for this order alone: the partition's other orders go on.
    if (folded.error() == Errc::illegal) stats_->illegal_events.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("partition {}: the event at seq {} does not fold on order {} and is skipped for it: {}",
                  options_.partition, r.seq.value, r.order.str(), folded.error().message());
    return;
  }
  if (folded->finishes) {
    // An event that leaves the snapshot empty keeps the one before (as the
    // order index does, and the embedded log's record).
    IndexedOrder done{r.order, folded->snapshot.empty() ? before : folded->snapshot, {}};
    if (open != nullptr) done.seqs = open->seqs;
    else if (reopened) done.seqs = reopened->seqs;
    done.seqs.push_back(r.seq);
    checkpointer_->note_finished(done);
    finished_.remember(std::move(done));
  } else if (open == nullptr) {
    finished_.forget(r.order);
  }
  Index::Update u{r.order, r.seq, std::move(folded->snapshot), folded->finishes, std::move(reopened)};
  index_.apply(std::span(&u, 1));
  if (!e.sets.empty()) {
    const auto changes = parse_sets(e.sets);
    if (!changes) {
      spdlog::error("partition {}: the set changes at position {} do not parse: {}", options_.partition, r.seq.value,
                    e.sets);
    } else {
      sets_.apply(r.order, *changes);
    }
  }
}

std::optional<std::string> JetStreamPartitionLog::taken_by(const Record& r) const {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(r.payload.data()), r.payload.size());
  if (r.type != kPartitionTakenType || !verifier.VerifyBuffer<fb::PartitionTaken>(nullptr)) return std::nullopt;
  const auto* taken = flatbuffers::GetRoot<fb::PartitionTaken>(r.payload.data());
  const auto text = [](const flatbuffers::String* s) { return s != nullptr ? s->str() : std::string{}; };
  return text(taken->node()) + "/" + text(taken->incarnation());
}

void JetStreamPartitionLog::fold_taken(const Record& r) {
  const auto by = taken_by(r);
  if (!by) {
    spdlog::error("partition {}: the PartitionTaken at seq {} does not decode", options_.partition, r.seq.value);
    return;
  }
  const bool ours = *by == writer();
  const auto change = ownership_.taken(ours, r.seq);
  if (!ours) spdlog::info("partition {}: taken over by {} at seq {}", options_.partition, *by, r.seq.value);
  if (change == PartitionOwnership::Change::lost) {
    services_.stop();
    spdlog::warn("partition {}: {} took it over at seq {}; this node stops executing it", options_.partition, *by,
                 r.seq.value);
    if (options_.on_fenced) options_.on_fenced();
  }
}

void JetStreamPartitionLog::remember_request(const BatchEntry& e, const std::string& batch_writer) {
  // Only other nodes ask again with the same request: the owner's own
  // writes are not retried so.
  if (e.request.empty() || (e.request.starts_with(batch_writer) && e.request.size() > batch_writer.size() &&
                            e.request[batch_writer.size()] == '/'))
    return;
  landed_requests_.remember(e.request, e.record.seq, e.record.order);
}

std::error_code JetStreamPartitionLog::catch_up(Clock::time_point deadline) {
  owner_silent_.store(false, std::memory_order_relaxed);
  auto state = connection_.stream_state(stream_);
  if (!state) return state.error();
  while (tail_seq() < state->last) {
    auto messages = connection_.read(stream_, subjects_, tail_seq().next(), 1024);
    if (!messages) return messages.error();
    if (messages->empty()) {
      if (Clock::now() >= deadline) return std::error_code(JsErrc::timeout);
      continue;
    }
    fold_messages(*messages);
  }
  return {};
}

Seq JetStreamPartitionLog::wait_beyond(Seq after, std::chrono::milliseconds timeout) const {
  // Behind, head() is what the listeners heard (hear() notifies).
  std::unique_lock lock(head_mu_);
  head_cv_.wait_for(lock, timeout, [&] { return head() > after || stopping_.load(std::memory_order_acquire); });
  return head();
}

// A cursor is one key of the cluster's meta bucket, written by whichever
// node reads the partition for that reader now (the owner): last writer
// wins, and a cursor written by an earlier owner only makes the next one
// repeat what it had already done.
Result<Seq> JetStreamPartitionLog::cursor(std::string_view name) const {
  if (!options_.meta) return Seq{0};
  auto meta = *options_.meta;  // a value over the shared connection
  auto entry = meta.get(cursor_key(options_.partition, name));
  if (!entry) return entry.error();
  if (!*entry) return Seq{0};
  std::uint64_t seq = 0;
  const auto& text = (*entry)->value;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc{} || end != text.data() + text.size()) return make_error_code(Errc::corrupted);
  return Seq{seq};
}

void JetStreamPartitionLog::store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) {
  if (!options_.meta) {
    done(make_error_code(std::errc::operation_not_supported));
    return;
  }
  auto meta = *options_.meta;
  auto put = meta.put(cursor_key(options_.partition, name), std::to_string(seq.value));
  done(put ? std::error_code{} : put.error());
}

std::uint64_t JetStreamPartitionLog::disk_bytes() const {
  auto state = connection_.stream_state(stream_);
  return state ? state->bytes : 0;
}

std::string JetStreamPartitionLog::write_error() const {
  return connection_.connected() ? std::string{} : std::string("no NATS server is reachable");
}

bool JetStreamPartitionLog::owned() const { return ownership_.owned(); }

void JetStreamPartitionLog::release() {
  ownership_.release();
  services_.stop();
}

std::error_code JetStreamPartitionLog::close() {
  // Once: a second call (the destructor's, or a completion's run by the
  // first) returns at once.
  if (!closed_.exchange(true)) stop_parts();
  return {};
}

// What is queued is stored or answered first: the appender's writes may be
// rerouted to the forwarder, whose own may go back to the appender while
// it runs (an ended write is then answered closed).
void JetStreamPartitionLog::stop_parts() {
  services_.close();
  owner_reader_.stop();
  if (appender_) appender_->stop();
  if (forwarder_) forwarder_->stop();
  stopping_.store(true, std::memory_order_release);
  head_cv_.notify_all();
  idle_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  listen_live(false);  // its handler has returned once this does
  checkpointer_->stop();
  std::multimap<std::uint64_t, std::pair<AppendCompletion, AppendOutcome>> left;
  {
    std::lock_guard lock(head_mu_);
    left.swap(waiting_);
  }
  // Acknowledged, not yet folded here: they are in the log all the same.
  for (auto& [seq, pending] : left) pending.first(pending.second);
}

}  // namespace detail

std::shared_ptr<PartitionLog> open_partition(Connection& connection, PartitionLogOptions options) {
  const bool follows = options.follow_unowned;
  auto log = std::make_shared<detail::JetStreamPartitionLog>(connection, std::move(options));
  if (follows) log->catch_up_at_open();
  return log;
}

}  // namespace oee::eventlog::jetstream
