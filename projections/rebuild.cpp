#include "projections/rebuild.h"

#include <chrono>
#include <thread>
#include <unordered_map>

#include <pqxx/pqxx>

#include "core/domain/api_key.h"
#include "core/wire/event_codec.h"
#include "projections/migrations.h"
#include "projections/order_rows.h"
#include "projections/projection_state.h"
#include "projections/table_writer.h"

namespace oee::projections {

namespace {

struct Folded {
  core::OrderState state;
  Seq last_seq;
};

}  // namespace

std::uint64_t applied_seq(const std::string& database_url) {
  pqxx::connection c(database_url);
  migrate(c);
  pqxx::work tx(c);
  const auto r = tx.exec("SELECT last_seq FROM projection_state WHERE name = 'orders'");
  return r.empty() ? 0 : r[0][0].as<std::uint64_t>();
}

RebuildResult rebuild(eventlog::EventLogReader& log, const std::string& database_url,
                      const std::function<void(const RebuildProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  pqxx::connection c(database_url);
  migrate(c);
  const Seq target = log.head();

  pqxx::work tx(c);
  tx.exec("DROP TABLE IF EXISTS orders_next, order_events_next");
  // Without indexes while loading; they are built once at the end.
  tx.exec("CREATE TABLE order_events_next (LIKE order_events INCLUDING DEFAULTS)");
  tx.exec("CREATE TABLE orders_next (LIKE orders INCLUDING DEFAULTS)");

  std::unordered_map<OrderId, Folded, OrderIdHash> orders;
  RebuildResult result;
  // Streams events (after, until] into order_events_next, folding orders.
  auto replay = [&](Seq after, Seq until) {
    detail::CopyWriter events(tx, "order_events_next", detail::event_columns());
    Seq next = after.next();
    while (next <= until) {
      auto batch = log.read(next, 8192);
      if (!batch) throw std::runtime_error("cannot read the log at seq " + std::to_string(next.value) + ": " +
                                           batch.error().message());
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        if (r.seq > until) break;
        if (core::is_key_event(r.type)) continue;  // an API key's, not an order's
        auto& f = orders[r.order];
        auto folded = core::fold_record(f.state, r);
        detail::write_event(events, event_row(r, folded.event));
        f.state = std::move(folded.state);
        f.last_seq = r.seq;
        ++result.events;
      }
      next = batch->back().seq.next();
      if (progress) progress(RebuildProgress{result.events, target.value, elapsed()});
    }
    events.complete();
  };
  replay(Seq{0}, target);
  const double replayed_at = elapsed();

  // From here the live projector waits on the state row. If it committed
  // past our target meanwhile, replay that stretch too, so the swap never
  // drops what it had already projected.
  const auto locked = detail::lock_projection_state(tx);
  const Seq committed = locked.last_seq;
  Seq final_seq = target;
  // What another log's projection committed says nothing about this log.
  if (!locked.from_other_log(log) && committed > target) {
    for (int i = 0; log.head() < committed && i < 100; ++i) {
      // A secondary may trail the projector's view; one that cannot catch up would only time out.
      if (auto r = log.refresh(); !r) {
        throw std::runtime_error("cannot catch up with the event log: " + r.error().message());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const bool built_before_ids = locked.log_id.empty();
    if (log.head() >= committed) {
      replay(target, committed);
      final_seq = committed;
    } else if (!built_before_ids) {
      throw std::runtime_error("the log is behind the projection; try again");
    }
    // Else a projection from before log ids, past this log's end: another
    // log's, so nothing of it is kept.
  }

  std::vector<OrderRow> rows;
  rows.reserve(orders.size());
  for (const auto& [id, f] : orders) rows.push_back(order_row(id, f.state, f.last_seq));
  detail::copy_orders(tx, "orders_next", rows);
  result.orders = rows.size();

  const double orders_at = elapsed();
  tx.exec("ALTER TABLE order_events_next ADD PRIMARY KEY (seq)");
  tx.exec("CREATE INDEX ON order_events_next (order_id, seq)");
  tx.exec("ALTER TABLE orders_next ADD PRIMARY KEY (order_id)");
  tx.exec("CREATE INDEX ON orders_next (created_ns DESC, order_id DESC)");
  tx.exec("CREATE INDEX ON orders_next (status, created_ns DESC, order_id DESC)");
  // The migrations' other indexes on orders (005 owner, 006 order type).
  tx.exec("CREATE INDEX ON orders_next (owner, created_ns DESC, order_id DESC) WHERE owner IS NOT NULL");
  tx.exec("CREATE INDEX ON orders_next (order_type, created_ns DESC, order_id DESC)");

  const double indexed_at = elapsed();
  // The swap: readers block for the instant of the renames, then see the
  // new tables whole. The lock attempt gives up before PostgreSQL's
  // deadlock detector would (1 s) and is retried, so a reader holding one
  // table while asking for the other is never the one aborted.
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::subtransaction lock(tx, "swap_lock");
      lock.exec("SET LOCAL lock_timeout = '300ms'");
      lock.exec("LOCK TABLE orders, order_events IN ACCESS EXCLUSIVE MODE");
      lock.commit();
      break;
    } catch (const pqxx::sql_error&) {
      if (attempt >= 100) throw;
    }
  }
  tx.exec("DROP TABLE orders, order_events");
  tx.exec("ALTER TABLE orders_next RENAME TO orders");
  tx.exec("ALTER TABLE order_events_next RENAME TO order_events");
  tx.exec_params(
      "UPDATE projection_state SET last_seq = $1, log_id = NULLIF($2, ''), updated_at = now() WHERE name = 'orders'",
      static_cast<std::int64_t>(final_seq.value), log.id());
  tx.commit();
  result.seconds = elapsed();
  result.replay_seconds = replayed_at;
  result.orders_seconds = orders_at - replayed_at;
  result.index_seconds = indexed_at - orders_at;
  if (progress) progress(RebuildProgress{result.events, target.value, result.seconds});
  return result;
}

}  // namespace oee::projections
