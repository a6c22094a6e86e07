#include "projections/projector.h"

#include <pthread.h>

#include <condition_variable>
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
  Impl(eventlog::EventLogReader& l, ProjectorOptions o) : log(l), options(std::move(o)) {}

  eventlog::EventLogReader& log;
  ProjectorOptions options;
  std::thread worker;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  mutable std::condition_variable applied_cv;
  ProjectorStatus state;

  std::unique_ptr<pqxx::connection> db;
  Seq applied;
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
    const auto state = detail::lock_projection_state(tx);
    applied = state.last_seq;
    claim_projection(tx, state);
    tx.commit();
    orders.clear();
    set_status([&](ProjectorStatus& s) {
      s.connected = true;
      s.foreign_log = false;
      s.applied_seq = applied.value;
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
    if (applied > log.head()) {
      throw ForeignProjection("the projection in PostgreSQL is at seq " + std::to_string(applied.value) +
                               " but this event log ends at seq " + std::to_string(log.head().value) +
                               ": it was built from another log; rebuild it with `oee-projector rebuild`");
    }
    if (applied.value > 0) {
      const auto mine = log.read(applied, 1);
      if (!mine || mine->empty()) throw std::runtime_error("cannot read seq " + std::to_string(applied.value));
      const auto row = tx.exec_params("SELECT order_id::text FROM order_events WHERE seq = $1",
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

  // Reads up to max_batch events after `applied`, waiting at most max_delay
  // for the batch to fill once it has something.
  std::vector<eventlog::Record> next_batch() {
    const auto deadline = std::chrono::steady_clock::now() + options.max_delay;
    for (;;) {
      catch_up_with_log();
      const Seq head = log.head();
      const bool full = head.value - applied.value >= options.max_batch;
      if (head > applied && (full || std::chrono::steady_clock::now() >= deadline)) break;
      if (stopping.load()) return {};
      if (options.secondary) {
        std::this_thread::sleep_for(20ms);  // a secondary is not woken by the primary's appends
      } else {
        log.wait_beyond(head > applied ? head : applied, 20ms);
      }
      if (head == applied) set_status([&](ProjectorStatus& s) {
        s.lag_events = 0;
        s.lag_seconds = 0;
      });
    }
    auto records = log.read(applied.next(), options.max_batch);
    if (!records) throw std::runtime_error("cannot read the log: " + records.error().message());
    return std::move(*records);
  }

  void apply_batch(const std::vector<eventlog::Record>& records) {
    std::vector<EventRow> events;
    events.reserve(records.size());
    std::unordered_map<OrderId, std::pair<core::OrderState, Seq>, OrderIdHash> touched;
    for (const auto& r : records) {
      if (core::is_key_event(r.type)) continue;  // an API key's, not an order's
      auto it = touched.find(r.order);
      auto folded = core::fold_record(it != touched.end() ? it->second.first : state_before(r), r);
      events.push_back(event_row(r, folded.event));
      touched[r.order] = {std::move(folded.state), r.seq};
    }
    std::vector<OrderRow> rows;
    rows.reserve(touched.size());
    for (const auto& [id, st] : touched) rows.push_back(order_row(id, st.first, st.second));

    const Seq last = records.back().seq;
    pqxx::work tx(*db);
    const auto current = detail::lock_projection_state(tx);
    const Seq committed = current.last_seq;
    if (current.from_other_log(log)) {
      throw std::runtime_error("the projection was rebuilt from another event log; reconnecting");
    }
    if (committed != applied) {
      // Someone else (a rebuild, another projector) moved the projection:
      // continue from what is committed.
      tx.abort();
      spdlog::info("projector: projection moved to seq {} (was {}), continuing from there", committed.value,
                   applied.value);
      applied = committed;
      orders.clear();
      set_status([&](ProjectorStatus& s) { s.applied_seq = applied.value; });
      return;
    }
    detail::copy_events(tx, "order_events", events);
    detail::upsert_orders(tx, "orders", rows);
    tx.exec_params("UPDATE projection_state SET last_seq = $1, updated_at = now() WHERE name = 'orders'",
                   static_cast<std::int64_t>(last.value));
    tx.commit();

    applied = last;
    for (auto& [id, st] : touched) {
      if (core::is_terminal(st.first.status)) {
        orders.erase(id);
      } else {
        orders[id] = std::move(st.first);
      }
    }
    const Seq head = log.head();
    const double lag_s =
        head > applied ? static_cast<double>(TimestampNs::now().value - records.back().ts.value) / 1e9 : 0.0;
    set_status([&](ProjectorStatus& s) {
      s.applied_seq = applied.value;
      s.lag_events = head.value - applied.value;
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
          s.lag_events = log.head().value - s.applied_seq;
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

bool Projector::wait_applied(Seq seq, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->applied_cv.wait_for(lock, timeout, [&] { return impl_->state.applied_seq >= seq.value; });
}

}  // namespace oee::projections
