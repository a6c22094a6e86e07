#include "projections/projector.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <unordered_map>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "core/domain/api_key.h"
#include "core/wire/event_codec.h"
#include "projections/migrations.h"
#include "projections/order_rows.h"
#include "projections/projection_state.h"
#include "projections/table_writer.h"

namespace oee::projections {

using namespace std::chrono_literals;

struct Projector::Impl {
  Impl(eventlog::EventLogReader& l, ProjectorOptions o) : log(l), options(std::move(o)) {
    const auto rows = detail::projection_rows(log);
    for (const PartitionId p : each_partition(static_cast<std::uint32_t>(rows.size())))
      lanes.push_back(Lane{p, rows[p.value], Seq{0}});
    state.applied_by_partition.assign(lanes.size(), 0);
  }

  [[nodiscard]] bool clustered() const { return log.partition_count() > 1; }

  [[nodiscard]] std::uint64_t applied_total() const {
    std::uint64_t total = 0;
    for (const auto& lane : lanes) total += lane.applied.value;
    return total;
  }

  void publish_applied(ProjectorStatus& s) const {
    s.applied_seq = applied_total();
    for (std::size_t i = 0; i < lanes.size(); ++i) s.applied_by_partition[i] = lanes[i].applied.value;
  }

  eventlog::EventLogReader& log;
  ProjectorOptions options;
  std::thread worker;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  mutable std::condition_variable applied_cv;
  ProjectorStatus state;

  std::unique_ptr<pqxx::connection> db;
  // One per partition of the log (one for the embedded log), each with its
  // own row in projection_state; in partition order, which is the order
  // their rows are locked in.
  struct Lane {
    PartitionId partition{};
    std::string row;
    Seq applied;
  };
  std::vector<Lane> lanes;
  std::size_t first_lane = 0;  // where the next batch starts reading, in turn
  // Folded state of orders seen recently; terminal orders are dropped once
  // projected. An order first met mid-life is folded from its own events.
  std::unordered_map<OrderId, core::OrderState, OrderIdHash> orders;

  void set_status(const std::function<void(ProjectorStatus&)>& f) {
    std::lock_guard lock(mu);
    f(state);
    applied_cv.notify_all();
  }

  void connect() {
    db = std::make_unique<pqxx::connection>(options.database_url);
    migrate(*db);
    pqxx::work tx(*db);
    if (clustered()) {
      claim_for_cluster(tx);
      for (auto& lane : lanes) {
        const auto state = detail::lock_projection_state(tx, lane.row);
        lane.applied = state.last_seq;
        claim_partition(tx, lane, state);
      }
    } else {
      const auto state = detail::lock_projection_state(tx);
      lanes.front().applied = state.last_seq;
      claim_projection(tx, state);
    }
    tx.commit();
    orders.clear();
    set_status([&](ProjectorStatus& s) {
      s.connected = true;
      s.foreign_log = false;
      publish_applied(s);
    });
  }

  // Seqs count from 1 in every log: rows built from another log (a data
  // directory deleted and made again beside a kept database) would match
  // seqs of this one and hide its events. So the projection names the log
  // it was built from, and a projector for any other log refuses to touch
  // it (and retries, so a rebuild from this log lets it go on).
  struct ForeignProjection : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  void claim_projection(pqxx::work& tx, const detail::ProjectionState& state) {
    const std::string& ours = log.id();
    if (ours.empty() || state.log_id == ours) return;
    if (state.from_other_log(log)) {
      throw ForeignProjection("the projection in PostgreSQL was built from another event log (" + state.log_id +
                               "; this one is " + ours + "): rebuild it from this log with `oee-projector rebuild`");
    }
    // Built before logs had ids: adopted if its last event is this log's
    // event at that seq (order ids are random, so another log's differs).
    catch_up_with_log();
    const Seq applied = lanes.front().applied;
    if (applied > log.head()) {
      throw ForeignProjection("the projection in PostgreSQL is at seq " + std::to_string(applied.value) +
                               " but this event log ends at seq " + std::to_string(log.head().value) +
                               ": it was built from another log; rebuild it with `oee-projector rebuild`");
    }
    if (applied.value > 0) {
      const auto mine = log.partition(PartitionId{0}).read(applied, 1);
      if (!mine || mine->empty()) throw std::runtime_error("cannot read seq " + std::to_string(applied.value));
      const auto row = tx.exec_params("SELECT order_id::text FROM order_events WHERE log_partition = 0 AND seq = $1",
                                      static_cast<std::int64_t>(applied.value));
      if (row.empty() || row[0][0].as<std::string>() != mine->front().order.str()) {
        throw ForeignProjection("the projection in PostgreSQL holds another order at seq " +
                                 std::to_string(applied.value) +
                                 " than this event log: it was built from another log; rebuild it with "
                                 "`oee-projector rebuild`");
      }
    }
    tx.exec_params("UPDATE projection_state SET log_id = $1 WHERE name = 'orders'", ours);
  }

  // A cluster's projection names the cluster in every row, the embedded
  // log's row included: a cluster and an embedded log never share tables
  // (their orders and seqs would mix), whichever came first.
  void claim_for_cluster(pqxx::work& tx) {
    const std::string& ours = log.id();
    const auto embedded = detail::lock_projection_state(tx);
    if (embedded.log_id == ours) return;
    if (embedded.last_seq.value > 0) {
      throw ForeignProjection("the projection in PostgreSQL was built from an embedded event log, not this cluster (" +
                              ours + "): give the cluster a database of its own, or rebuild it from the cluster with "
                              "`oee-projector rebuild --nats URLS`");
    }
    tx.exec_params("UPDATE projection_state SET log_id = $1 WHERE name = $2", ours, std::string(detail::kEmbeddedRow));
  }

  void claim_partition(pqxx::work& tx, const Lane& lane, const detail::ProjectionState& state) {
    const std::string& ours = log.id();
    if (state.log_id == ours) return;
    if (!state.log_id.empty() || state.last_seq.value > 0) {
      throw ForeignProjection("the projection of partition " + std::to_string(lane.partition.value) +
                              " in PostgreSQL was built from another cluster (" + state.log_id + "; this one is " +
                              ours + "): rebuild it from this one with `oee-projector rebuild --nats URLS`");
    }
    tx.exec_params("UPDATE projection_state SET log_id = $1 WHERE name = $2", ours, lane.row);
  }

  // A secondary sees new events only through refresh(). One that failed
  // would leave head() where it was, and the projector would report no lag
  // while it stood still: so it is an error like any other (status down,
  // with the cause, retried with backoff).
  void catch_up_with_log() {
    if (!options.secondary) return;
    if (auto r = log.refresh(); !r) {
      throw std::runtime_error("cannot catch up with the event log: " + r.error().message());
    }
  }

  core::OrderState state_before(const eventlog::Record& r) {
    if (auto it = orders.find(r.order); it != orders.end()) return it->second;
    core::OrderState s;
    // An order's first event has nothing before it. Every new order comes
    // this way, and reading its events back cost the e2e load 7% of the
    // server's CPU.
    if (r.type == static_cast<std::uint8_t>(core::EventType::submitted)) return s;
    auto history = log.read_order(r.order);
    if (!history) throw std::runtime_error("cannot read order " + r.order.str() + ": " + history.error().message());
    for (const auto& e : *history) {
      if (e.seq >= r.seq) break;
      s = core::fold_record(s, e).state;
    }
    return s;
  }

  [[nodiscard]] std::uint64_t pending_events() const {
    std::uint64_t pending = 0;
    for (const auto& lane : lanes) {
      const Seq head = log.partition(lane.partition).head();
      if (head > lane.applied) pending += head.value - lane.applied.value;
    }
    return pending;
  }

  // Events of one partition, read after its applied seq.
  struct LaneBatch {
    std::size_t lane = 0;
    std::vector<eventlog::Record> records;
  };

  // Reads up to max_batch events after what is applied, the partitions in
  // turn, waiting at most max_delay for the batch to fill once it has
  // something.
  std::vector<LaneBatch> next_batch() {
    const auto deadline = std::chrono::steady_clock::now() + options.max_delay;
    for (;;) {
      catch_up_with_log();
      const std::uint64_t pending = pending_events();
      if (pending > 0 && (pending >= options.max_batch || std::chrono::steady_clock::now() >= deadline)) break;
      if (stopping.load()) return {};
      if (options.secondary) {
        std::this_thread::sleep_for(20ms);  // a secondary is not woken by the primary's appends
      } else {
        log.wait_beyond(Seq{std::max(log.head().value, applied_total())}, 20ms);
      }
      if (pending == 0) set_status([&](ProjectorStatus& s) {
        s.lag_events = 0;
        s.lag_seconds = 0;
      });
    }
    std::vector<LaneBatch> batch;
    std::size_t room = options.max_batch;
    for (std::size_t k = 0; k < lanes.size() && room > 0; ++k) {
      const std::size_t i = (first_lane + k) % lanes.size();
      auto& partition = log.partition(lanes[i].partition);
      if (partition.head() <= lanes[i].applied) continue;
      auto records = partition.read(lanes[i].applied.next(), room);
      if (!records) throw std::runtime_error("cannot read the log: " + records.error().message());
      if (records->empty()) continue;
      room -= std::min(room, records->size());
      batch.push_back(LaneBatch{i, std::move(*records)});
    }
    first_lane = (first_lane + 1) % lanes.size();
    // Rows are locked in partition order, so two projectors never deadlock.
    std::sort(batch.begin(), batch.end(), [](const LaneBatch& a, const LaneBatch& b) { return a.lane < b.lane; });
    return batch;
  }

  void apply_batch(const std::vector<LaneBatch>& batch) {
    std::vector<EventRow> events;
    std::unordered_map<OrderId, std::pair<core::OrderState, Seq>, OrderIdHash> touched;
    TimestampNs oldest_last{std::numeric_limits<std::int64_t>::max()};
    for (const auto& [lane, records] : batch) {
      oldest_last = std::min(oldest_last, records.back().ts, [](auto a, auto b) { return a.value < b.value; });
      for (const auto& r : records) {
        if (core::is_key_event(r.type) || eventlog::is_log_own_type(r.type)) continue;  // not an order's
        auto it = touched.find(r.order);
        auto folded = core::fold_record(it != touched.end() ? it->second.first : state_before(r), r);
        auto row = event_row(r, folded.event);
        row.log_partition = lanes[lane].partition.value;
        events.push_back(std::move(row));
        touched[r.order] = {std::move(folded.state), r.seq};
      }
    }
    std::vector<OrderRow> rows;
    rows.reserve(touched.size());
    for (const auto& [id, st] : touched) rows.push_back(order_row(id, st.first, st.second));

    pqxx::work tx(*db);
    for (const auto& [lane, records] : batch) {
      const auto current = detail::lock_projection_state(tx, lanes[lane].row);
      if (current.from_other_log(log)) {
        throw std::runtime_error("the projection was rebuilt from another event log; reconnecting");
      }
      if (current.last_seq != lanes[lane].applied) {
        // Someone else (a rebuild, another projector) moved the projection:
        // continue from what is committed.
        tx.abort();
        // Ahead is routine when every cluster node projects the same
        // partitions; behind means a rebuild, which an operator wants to see.
        spdlog::log(current.last_seq > lanes[lane].applied ? spdlog::level::debug : spdlog::level::info,
                    "projector: projection of {} moved to seq {} (was {}), continuing from there", lanes[lane].row,
                    current.last_seq.value, lanes[lane].applied.value);
        lanes[lane].applied = current.last_seq;
        orders.clear();
        set_status([&](ProjectorStatus& s) { publish_applied(s); });
        return;
      }
    }
    detail::copy_events(tx, "order_events", events);
    detail::upsert_orders(tx, "orders", rows);
    for (const auto& [lane, records] : batch) {
      tx.exec_params("UPDATE projection_state SET last_seq = $1, updated_at = now() WHERE name = $2",
                     static_cast<std::int64_t>(records.back().seq.value), lanes[lane].row);
    }
    tx.commit();

    for (const auto& [lane, records] : batch) lanes[lane].applied = records.back().seq;
    for (auto& [id, st] : touched) {
      if (core::is_terminal(st.first.status)) {
        orders.erase(id);
      } else {
        orders[id] = std::move(st.first);
      }
    }
    const std::uint64_t lag = pending_events();
    const double lag_s = lag > 0 ? static_cast<double>(TimestampNs::now().value - oldest_last.value) / 1e9 : 0.0;
    set_status([&](ProjectorStatus& s) {
      publish_applied(s);
      s.lag_events = lag;
      s.lag_seconds = lag_s;
      ++s.batches;
    });
  }

  void run() {
    auto backoff = 100ms;
    while (!stopping.load()) {
      try {
        if (!db) connect();
        auto batch = next_batch();
        if (!batch.empty()) apply_batch(batch);
        backoff = 100ms;
      } catch (const std::exception& e) {
        db.reset();
        const bool foreign = dynamic_cast<const ForeignProjection*>(&e) != nullptr;
        set_status([&](ProjectorStatus& s) {
          s.connected = false;
          s.foreign_log = foreign;
          ++s.failures;
          s.last_error = e.what();
          s.lag_events = pending_events();
        });
        spdlog::warn("projector: {}; retrying in {} ms", e.what(), backoff.count());
        const auto until = std::chrono::steady_clock::now() + backoff;
        while (!stopping.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      }
    }
  }
};

Projector::Projector(eventlog::EventLogReader& log, ProjectorOptions options)
    : impl_(std::make_unique<Impl>(log, std::move(options))) {}

Projector::~Projector() { stop(); }

void Projector::start() {
  impl_->worker = std::thread([this] {
    pthread_setname_np(pthread_self(), "oee-projector");  // names it in top -H, perf and gdb
    impl_->run();
  });
}

void Projector::stop() {
  impl_->stopping = true;
  if (impl_->worker.joinable()) impl_->worker.join();
}

ProjectorStatus Projector::status() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state;
}

bool Projector::has_applied(PartitionId partition, Seq seq) const {
  std::lock_guard lock(impl_->mu);
  const auto& by = impl_->state.applied_by_partition;
  return partition.value < by.size() && by[partition.value] >= seq.value;
}

bool Projector::wait_applied(Seq seq, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->applied_cv.wait_for(lock, timeout, [&] { return impl_->state.applied_seq >= seq.value; });
}

}  // namespace oee::projections
