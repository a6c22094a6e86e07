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
  // Summed over a cluster's partitions (the embedded row is 0 then).
  const auto r = tx.exec("SELECT COALESCE(sum(last_seq), 0) FROM projection_state WHERE name = 'orders' OR name LIKE 'orders.p%'");
  return r[0][0].as<std::uint64_t>();
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
  // Streams partition p's events (after, until] into order_events_next,
  // folding orders (an order's events are all in one partition).
  auto replay = [&](PartitionId p, Seq after, Seq until) {
    auto& partition = log.partition(p);
    detail::CopyWriter events(tx, "order_events_next", detail::event_columns());
    Seq next = after.next();
    while (next <= until) {
      auto batch = partition.read(next, 8192);
      if (!batch) throw std::runtime_error("cannot read the log at seq " + std::to_string(next.value) + ": " +
                                           batch.error().message());
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        if (r.seq > until) break;
        if (core::is_key_event(r.type) || eventlog::is_log_own_type(r.type)) continue;  // not an order's
        auto& f = orders[r.order];
        auto folded = core::fold_record(f.state, r);
        auto row = event_row(r, folded.event);
        row.log_partition = p.value;
        detail::write_event(events, row);
        f.state = std::move(folded.state);
        f.last_seq = r.seq;
        ++result.events;
      }
      next = batch->back().seq.next();
      if (progress) progress(RebuildProgress{result.events, target.value, elapsed()});
    }
    events.complete();
  };
  const auto rows_of_log = detail::projection_rows(log);
  std::vector<Seq> targets;
  const auto partitions = each_partition(static_cast<std::uint32_t>(rows_of_log.size()));
  for (const PartitionId p : partitions) {
    targets.push_back(log.partition(p).head());
    replay(p, Seq{0}, targets.back());
  }
  const double replayed_at = elapsed();

  // From here the live projector waits on the state rows. If it committed
  // past our target meanwhile, replay that stretch too, so the swap never
  // drops what it had already projected.
  std::vector<Seq> finals = targets;
  for (const PartitionId p : partitions) {
    auto& partition = log.partition(p);
    const auto locked = detail::lock_projection_state(tx, rows_of_log[p.value]);
    const Seq committed = locked.last_seq;
    // What another log's projection committed says nothing about this log.
    if (locked.from_other_log(log) || committed <= targets[p.value]) continue;
    for (int i = 0; partition.head() < committed && i < 100; ++i) {
      // A secondary may trail the projector's view; one that cannot catch up would only time out.
      if (auto r = log.refresh(); !r) {
        throw std::runtime_error("cannot catch up with the event log: " + r.error().message());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const bool built_before_ids = locked.log_id.empty();
    if (partition.head() >= committed) {
      replay(p, targets[p.value], committed);
      finals[p.value] = committed;
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
  tx.exec("ALTER TABLE order_events_next ADD PRIMARY KEY (log_partition, seq)");
  tx.exec("CREATE INDEX ON order_events_next (order_id, seq)");
  tx.exec("ALTER TABLE orders_next ADD PRIMARY KEY (order_id)");
  tx.exec("CREATE INDEX ON orders_next (created_ns DESC, order_id DESC)");
  tx.exec("CREATE INDEX ON orders_next (status, created_ns DESC, order_id DESC)");
  // The migrations' other indexes on orders (005 owner, 006 order type, 009 slices by parent).
  tx.exec("CREATE INDEX ON orders_next (owner, created_ns DESC, order_id DESC) WHERE owner IS NOT NULL");
  tx.exec("CREATE INDEX ON orders_next (order_type, created_ns DESC, order_id DESC)");
  tx.exec("CREATE INDEX ON orders_next (parent_id, slice) WHERE parent_id IS NOT NULL");

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
  // The rows of the other kind of log (a cluster's partitions, or an
  // embedded log's row) no longer describe these tables.
  if (log.partition_count() == 1) {
    tx.exec("DELETE FROM projection_state WHERE name LIKE 'orders.p%'");
  } else {
    tx.exec_params("UPDATE projection_state SET last_seq = 0, log_id = $1, updated_at = now() WHERE name = $2",
                   log.id(), std::string(detail::kEmbeddedRow));
  }
  for (std::size_t p = 0; p < rows_of_log.size(); ++p) {
    tx.exec_params(
        "UPDATE projection_state SET last_seq = $1, log_id = NULLIF($2, ''), updated_at = now() WHERE name = $3",
        static_cast<std::int64_t>(finals[p].value), log.id(), rows_of_log[p]);
  }
  tx.commit();
  result.seconds = elapsed();
  result.replay_seconds = replayed_at;
  result.orders_seconds = orders_at - replayed_at;
  result.index_seconds = indexed_at - orders_at;
  if (progress) progress(RebuildProgress{result.events, target.value, result.seconds});
  return result;
}

}  // namespace oee::projections
