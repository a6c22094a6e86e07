#include "api/stream/stream_source.h"

#include <future>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace {

// The order's state as its snapshot holds it; none for an order with no
// state.
eventlog::Result<std::optional<core::OrderState>> state_of(const eventlog::EventLogReader& log, const OrderId& order) {
  auto snapshot = log.snapshot(order);
  if (!snapshot) return snapshot.error();
  if (!*snapshot) return std::optional<core::OrderState>{};
  auto state = core::decode_snapshot((*snapshot)->snapshot);
  if (!state) return make_error_code(eventlog::Errc::corrupted);
  return std::optional<core::OrderState>(std::move(*state));
}

// An order's events from `from` and, where they were read for them, its
// state: an API key's view reads it to see the owner, and anyone's where no
// event is left, to see whether the order exists.
struct KnownOrder {
  std::vector<eventlog::Record> records;
  std::optional<core::OrderState> state;
};
eventlog::Result<std::optional<KnownOrder>> read_known(const eventlog::EventLogReader& log, const OrderId& order,
                                                       Seq from, const Principal& viewer) {
  using Found = std::optional<KnownOrder>;
  KnownOrder known;
  if (!viewer.sees_everything()) {
    auto state = state_of(log, order);
    if (!state) return state.error();
    if (!*state || !viewer.sees((*state)->owner)) return Found{};
    known.state = std::move(*state);
  }
  auto records = log.read_order(order, from);
  if (!records) return records.error();
  if (!records->empty() && core::is_key_event(records->front().type)) return Found{};  // an API key's id
  if (records->empty() && !known.state) {
    auto state = state_of(log, order);
    if (!state) return state.error();
    if (!*state) return Found{};
    known.state = std::move(*state);
  }
  known.records = std::move(*records);
  return Found{std::move(known)};
}

std::vector<std::shared_ptr<const StatusUpdate>> updates_of(const std::vector<eventlog::Record>& records) {
  std::vector<std::shared_ptr<const StatusUpdate>> updates;
  updates.reserve(records.size());
  for (const auto& r : records) {
    for (auto& u : make_status_updates(r)) updates.push_back(std::move(u));
  }
  return updates;
}

// A recurring order's past carries its slices' steps from `from` on, merged
// in by seq; false if the log could not be read. `state` is the order's if
// it was read already.
bool add_slices(const eventlog::EventLogReader& log, Hub& hub, const OrderId& order, Seq from,
                std::optional<core::OrderState> state, std::vector<std::shared_ptr<const StatusUpdate>>& updates) {
  if (!state) {
    auto read = state_of(log, order);
    if (!read) return false;
    state = std::move(*read);
  }
  if (!state || state->order_type != core::OrderType::recurring) return true;
  bool added = false;
  for (const auto& slice : state->slices) {
    if (!slice.child) continue;
    auto records = log.read_order(*slice.child, from);
    if (!records) return false;
    for (const auto& r : *records) {
      for (const auto& u : make_status_updates(r)) updates.push_back(as_part_of(*u, order));
    }
    // Still running: its live updates follow (the hub may have missed its
    // start, before a restart).
    bool ended = !records->empty() && core::is_terminal_event(records->back().type);
    if (records->empty()) {
      const auto child = state_of(log, *slice.child);
      ended = child && *child && core::is_terminal((*child)->status);
    }
    if (!ended) hub.add_slice(*slice.child, order);
    added = added || !records->empty();
  }
  if (added) {
    std::stable_sort(updates.begin(), updates.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
  }
  return true;
}

}  // namespace

eventlog::Result<std::optional<std::vector<eventlog::Record>>> read_known_order(const eventlog::EventLogReader& log,
                                                                                const OrderId& order, Seq from,
                                                                                const Principal& viewer) {
  auto known = read_known(log, order, from, viewer);
  if (!known) return known.error();
  if (!*known) return std::optional<std::vector<eventlog::Record>>{};
  return std::optional<std::vector<eventlog::Record>>(std::move((*known)->records));
}

namespace {

// The events read of each partition, and which of them a page keeps: a
// range [lo, hi) of each, so that what a page covers of a partition has no
// holes.
struct PartitionReads {
  std::vector<std::vector<eventlog::Record>> records;
  std::vector<std::size_t> lo, hi;
};

// Keeps `max` events over all partitions: the oldest by event time going
// forward, the newest from the tails. One partition's events stay in seq
// order (a node's clock may step back; a partition's order is the log's).
void keep(PartitionReads& reads, std::size_t max, bool newest) {
  const auto n = reads.records.size();
  reads.lo.assign(n, 0);
  reads.hi.assign(n, 0);
  if (newest) {
    for (std::size_t p = 0; p < n; ++p) reads.lo[p] = reads.hi[p] = reads.records[p].size();
  }
  for (std::size_t kept = 0; kept < max; ++kept) {
    std::optional<std::size_t> pick;
    for (std::size_t p = 0; p < n; ++p) {
      const auto& r = reads.records[p];
      if (newest ? reads.lo[p] == 0 : reads.hi[p] == r.size()) continue;
      const auto ts = newest ? r[reads.lo[p] - 1].ts : r[reads.hi[p]].ts;
      if (!pick) {
        pick = p;
        continue;
      }
      const auto& best = reads.records[*pick];
      const auto best_ts = newest ? best[reads.lo[*pick] - 1].ts : best[reads.hi[*pick]].ts;
      if (newest ? ts > best_ts : ts < best_ts) pick = p;
    }
    if (!pick) return;
    if (newest) {
      --reads.lo[*pick];
    } else {
      ++reads.hi[*pick];
    }
  }
}

// The kept events of every partition in one line, by event time.
std::vector<eventlog::Record> merged(PartitionReads& reads) {
  std::vector<eventlog::Record> out;
  const auto n = reads.records.size();
  auto at = reads.lo;
  for (;;) {
    std::optional<std::size_t> pick;
    for (std::size_t p = 0; p < n; ++p) {
      if (at[p] == reads.hi[p]) continue;
      if (!pick || reads.records[p][at[p]].ts < reads.records[*pick][at[*pick]].ts) pick = p;
    }
    if (!pick) return out;
    out.push_back(std::move(reads.records[*pick][at[*pick]++]));
  }
}

}  // namespace

eventlog::Result<EventPage> read_events(const eventlog::EventLogReader& log, const eventlog::Position& after,
                                       std::size_t max, bool newest, const Principal& viewer) {
  EventPage page{{}, eventlog::Position(log.partitioned()), eventlog::Position(log.partitioned()),
                 eventlog::Position(log.partitioned())};
  const auto partitions = log.partition_count();
  PartitionReads reads;
  reads.records.resize(partitions);
  // A cluster's partitions are read at once: each read waits on the
  // servers more than it works.
  std::vector<std::future<eventlog::Result<std::vector<eventlog::Record>>>> reading(partitions);
  for (const PartitionId p : each_partition(partitions)) {
    const auto& part = log.partition(p);
    const Seq head = part.head();
    page.head.set(p, head);
    std::uint64_t start = after.at(p).value + 1;
    if (newest && max > 0 && head.value >= start + max) start = head.value - max + 1;
    page.before.set(p, Seq{start - 1});
    if (max == 0 || start > head.value) continue;
    // Deferred, read in turn, where no thread can be started.
    const auto policy = partitions > 1 ? std::launch::async | std::launch::deferred : std::launch::deferred;
    reading[p.value] = std::async(policy, [&part, start, max] { return part.read(Seq{start}, max); });
  }
  std::error_code failed;
  for (const PartitionId p : each_partition(partitions)) {
    if (!reading[p.value].valid()) continue;
    auto records = reading[p.value].get();  // every one waited for: none outlives this call
    if (!records) {
      failed = records.error();
      continue;
    }
    reads.records[p.value] = std::move(*records);
  }
  if (failed) return failed;
  keep(reads, max, newest);
  for (const PartitionId p : each_partition(partitions)) {
    const auto i = p.value;
    const auto& r = reads.records[i];
    if (newest && reads.lo[i] > 0) page.before.set(p, r[reads.lo[i] - 1].seq);
    page.last.set(p, reads.hi[i] > reads.lo[i] ? r[reads.hi[i] - 1].seq : page.before.at(p));
  }
  std::unordered_map<OrderId, bool, OrderIdHash> seen;  // whether the viewer may see each order
  if (!viewer.sees_everything()) {
    // Each partition's orders read at once: a cluster node asks their
    // owner once (a page at a time), not once per order.
    for (const PartitionId p : each_partition(partitions)) {
      const auto i = p.value;
      std::vector<OrderId> ids;
      for (std::size_t k = reads.lo[i]; k < reads.hi[i]; ++k) {
        const auto& r = reads.records[i][k];
        if (core::is_key_event(r.type) || eventlog::is_log_own_type(r.type)) continue;
        if (seen.emplace(r.order, false).second) ids.push_back(r.order);
      }
      if (ids.empty()) continue;
      auto snapshots = log.partition(p).snapshots(ids);
      if (!snapshots) return snapshots.error();
      for (std::size_t k = 0; k < ids.size(); ++k) {
        const auto& entry = (*snapshots)[k];
        if (!entry) continue;
        const auto state = core::decode_snapshot(entry->snapshot);
        if (!state) return make_error_code(eventlog::Errc::corrupted);
        seen[ids[k]] = viewer.sees(state->owner);
      }
    }
  }
  for (auto& r : merged(reads)) {
    if (core::is_key_event(r.type) || eventlog::is_log_own_type(r.type)) continue;
    if (!viewer.sees_everything() && !seen[r.order]) continue;
    page.records.push_back(std::move(r));
  }
  return page;
}

void LogStreamSource::recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
                             CatchUpHandler done) {
  if (reads_ == nullptr) return read_recent(after, max, viewer, done);
  boost::asio::post(*reads_, [this, after, max, viewer, done = std::move(done)] { read_recent(after, max, viewer, done); });
}

void LogStreamSource::catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) {
  if (reads_ == nullptr) return read_past(order, from, viewer, done);
  boost::asio::post(*reads_, [this, order, from, viewer, done = std::move(done)] { read_past(order, from, viewer, done); });
}

void LogStreamSource::read_recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
                                  const CatchUpHandler& done) {
  CatchUp result;
  auto page = read_events(log_, after, max, true, viewer);
  if (!page) {
    result.outcome = CatchUp::Outcome::unavailable;
    result.error = page.error().message();
    done(std::move(result));
    return;
  }
  result.before = std::move(page->before);
  result.last = std::move(page->last);
  result.updates = updates_of(page->records);
  done(std::move(result));
}

void LogStreamSource::read_past(const OrderId& order, Seq from, const Principal& viewer, const CatchUpHandler& done) {
  CatchUp result;
  auto known = read_known(log_, order, from, viewer);
  if (!known || !*known) {
    result.outcome = known ? CatchUp::Outcome::not_found : CatchUp::Outcome::unavailable;
    result.error = known ? "no order with id " + order.str() : known.error().message();
    done(std::move(result));
    return;
  }
  result.updates = updates_of((*known)->records);
  if (!add_slices(log_, hub_, order, from, std::move((*known)->state), result.updates)) {
    result.outcome = CatchUp::Outcome::unavailable;
    result.error = "the log could not be read";
    result.updates.clear();
  }
  done(std::move(result));
}

}  // namespace oee::api
