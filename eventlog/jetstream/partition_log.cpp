// The partition log's follower and reads (partition_appends.cpp: appends).
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"
#include "schemas/cluster_events_generated.h"

namespace oee::eventlog::jetstream {

namespace detail {

namespace {

using namespace std::chrono_literals;
using Index = ::oee::eventlog::detail::OrderIndex;

constexpr std::size_t kFollowBatch = 1024;

bool is_taken(const StoredMessage& m) { return m.subject.ends_with(".x.taken"); }

/// "1+,2-": the sets an event moves its order into (+) and out of (-).
void apply_sets(std::string_view header, const OrderId& order, std::map<OrderSet, std::set<OrderId>>& sets) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    unsigned set = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), set);
    if (ec != std::errc{} || end == item.data() + item.size() || set > 255) continue;
    auto& members = sets[static_cast<OrderSet>(set)];
    if (*end == '+') members.insert(order);
    if (*end == '-') members.erase(order);
  }
}

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
  if (auto made = connection_.ensure_stream(spec, 30s); !made)
    throw std::runtime_error(fmt::format("cannot create or open stream {} in the NATS cluster: {}", stream_,
                                         made.error().message()));
  open_from_checkpoint();
  auto sub = patiently([&] { return connection_.follow(stream_, subjects_, head().next()); }, kOpenPatience);
  if (!sub)
    throw std::runtime_error(fmt::format("cannot follow stream {} in the NATS cluster: {}", stream_,
                                         sub.error().message()));
  subscription_ = std::move(*sub);
  follower_ = std::thread([this] { follow_loop(); });
  appender_ = std::thread([this] { append_loop(); });
  forwarder_ = std::thread([this] { forward_loop(); });
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

JetStreamPartitionLog::~JetStreamPartitionLog() { (void)close(); }

void JetStreamPartitionLog::catch_up_at_open() {
  auto state = connection_.stream_state(stream_);
  if (!state)
    throw std::runtime_error(fmt::format("cannot read stream {}: {}", stream_, state.error().message()));
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (head() < state->last) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(fmt::format("stream {} was not read to its end (seq {} of {}) in time", stream_,
                                           head().value, state->last.value));
    (void)wait_beyond(head(), 500ms);
  }
}

void JetStreamPartitionLog::follow_loop() {
  std::vector<StoredMessage> batch;
  bool warned = false;
  while (!stopping_.load(std::memory_order_acquire)) {
    auto m = subscription_->next(200ms);
    if (!m) {
      if (!std::exchange(warned, true))
        spdlog::warn("partition {}: following the stream failed ({}); retrying", options_.partition,
                     m.error().message());
      std::this_thread::sleep_for(100ms);
      continue;
    }
    warned = false;
    if (!*m) continue;
    batch.push_back(std::move(**m));
    while (batch.size() < kFollowBatch && subscription_->pending() > 0) {
      auto more = subscription_->next(50ms);
      if (!more || !*more) break;
      batch.push_back(std::move(**more));
    }
    fold_batch(batch);
    batch.clear();
  }
}

Result<Record> JetStreamPartitionLog::to_record(const StoredMessage& m) const {
  auto r = decode_record(m.data);
  if (!r) return r.error();
  r->seq = m.seq;
  r->partition = options_.partition;
  return r;
}

void JetStreamPartitionLog::fold_batch(std::vector<StoredMessage>& batch) {
  std::vector<Record> records;
  records.reserve(batch.size());
  Seq last = head();
  for (auto& m : batch) {
    if (m.seq <= last) continue;  // delivered again after the consumer was re-created
    last = m.seq;
    auto r = to_record(m);
    if (!r) {
      spdlog::error("partition {}: the event at seq {} does not decode ({}); it is skipped", options_.partition,
                    m.seq.value, r.error().message());
      continue;
    }
    if (is_taken(m)) {
      fold_taken(*r);
    } else {
      fold_event(*r, m);
    }
    records.push_back(std::move(*r));
  }
  if (last <= head()) return;
  stats_.events.fetch_add(records.size(), std::memory_order_relaxed);
  stats_.open_orders.store(index_.size(), std::memory_order_relaxed);
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
  if (!records.empty()) listeners_->notify(records);
  for (auto& [done, outcome] : ready) done(outcome);
  maybe_checkpoint(records.size());
}

void JetStreamPartitionLog::fold_event(const Record& r, const StoredMessage& m) {
  const Index::Entry* open = index_.find(r.order);
  std::string before;
  std::optional<Index::Entry> reopened;
  if (open != nullptr) {
    before = open->snapshot;
  } else if (m.header("Oee-Begins") != "1") {
    // A later event of an order that finished: its state is the fold of
    // its events before this one, kept here if it finished lately.
    Result<std::optional<IndexedOrder>> record = std::optional<IndexedOrder>{};
    if (auto done = recall_finished(r.order); done && done->seqs.back() < r.seq) {
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
    if (folded.error() == Errc::illegal) stats_.illegal_events.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("partition {}: the event at seq {} does not fold on order {} and is skipped for it: {}",
                  options_.partition, r.seq.value, r.order.str(), folded.error().message());
    return;
  }
  if (folded->finishes) {
    IndexedOrder done{r.order, folded->snapshot, {}};
    if (open != nullptr) done.seqs = open->seqs;
    else if (reopened) done.seqs = reopened->seqs;
    done.seqs.push_back(r.seq);
    remember_finished(std::move(done));
  } else if (open == nullptr) {
    forget_finished(r.order);
  }
  Index::Update u{r.order, r.seq, std::move(folded->snapshot), folded->finishes, std::move(reopened)};
  index_.apply(std::span(&u, 1));
  if (const auto sets = m.header("Oee-Sets"); !sets.empty()) {
    std::lock_guard lock(sets_mu_);
    apply_sets(sets, r.order, sets_);
  }
}

void JetStreamPartitionLog::fold_taken(const Record& r) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(r.payload.data()), r.payload.size());
  if (!verifier.VerifyBuffer<fb::PartitionTaken>(nullptr)) {
    spdlog::error("partition {}: the PartitionTaken at seq {} does not decode", options_.partition, r.seq.value);
    return;
  }
  const auto* taken = flatbuffers::GetRoot<fb::PartitionTaken>(r.payload.data());
  const std::string node = taken->node() != nullptr ? taken->node()->str() : "";
  const std::string incarnation = taken->incarnation() != nullptr ? taken->incarnation()->str() : "";
  bool fenced = false;
  {
    std::lock_guard lock(own_mu_);
    if (node == options_.node && incarnation == options_.incarnation) {
      if (wants_ownership_ && !owned_) {
        owned_ = true;
        ++ownership_;
        taken_at_ = r.seq;
      }
    } else if (owned_) {
      owned_ = false;
      wants_ownership_ = false;
      ++ownership_;
      fenced = true;
    }
  }
  if (node != options_.node || incarnation != options_.incarnation)
    spdlog::info("partition {}: taken over by {} at seq {}", options_.partition, node, r.seq.value);
  if (fenced) {
    serve_forwards(false);
    spdlog::warn("partition {}: node {} took it over at seq {}; this node stops executing it", options_.partition,
                 node, r.seq.value);
    if (options_.on_fenced) options_.on_fenced();
  }
}

Seq JetStreamPartitionLog::wait_beyond(Seq after, std::chrono::milliseconds timeout) const {
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

bool JetStreamPartitionLog::owned() const {
  std::lock_guard lock(own_mu_);
  return owned_;
}

void JetStreamPartitionLog::release() {
  {
    std::lock_guard lock(own_mu_);
    wants_ownership_ = false;
    if (owned_) {
      owned_ = false;
      ++ownership_;
    }
  }
  serve_forwards(false);
}

std::error_code JetStreamPartitionLog::close() {
  {
    std::lock_guard lock(queue_mu_);
    if (closing_ && !appender_.joinable() && !forwarder_.joinable() && !follower_.joinable() && !checkpointer_.joinable())
      return {};
    closing_ = true;
  }
  serve_forwards(false);
  queue_cv_.notify_all();
  to_forward_cv_.notify_all();
  if (appender_.joinable()) appender_.join();
  if (forwarder_.joinable()) forwarder_.join();
  stopping_.store(true, std::memory_order_release);
  head_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  {
    std::lock_guard lock(checkpoint_mu_);  // the checkpoint thread sees stopping_ once it waits again
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  std::multimap<std::uint64_t, std::pair<AppendCompletion, AppendOutcome>> left;
  {
    std::lock_guard lock(head_mu_);
    left.swap(waiting_);
  }
  // Acknowledged, not yet folded here: they are in the log all the same.
  for (auto& [seq, pending] : left) pending.first(pending.second);
  return {};
}

}  // namespace detail

std::unique_ptr<PartitionLog> open_partition(Connection& connection, PartitionLogOptions options) {
  auto log = std::make_unique<detail::JetStreamPartitionLog>(connection, std::move(options));
  log->catch_up_at_open();
  return log;
}

}  // namespace oee::eventlog::jetstream
