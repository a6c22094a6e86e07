#include "projections/rebuild.h"

#include <chrono>
#include <unordered_map>

#include <pqxx/pqxx>

#include "core/event_codec.h"
#include "projections/migrations.h"
#include "projections/order_rows.h"
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

RebuildResult rebuild(const eventlog::EventLog& log, const std::string& database_url,
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
  {
    pqxx::stream_to events(tx, "order_events_next",
                           std::vector<std::string>{"seq", "order_id", "type", "status", "payload", "ts"});
    Seq next{1};
    while (next <= target) {
      auto batch = log.read(next, 8192);
      if (!batch) throw std::runtime_error("cannot read the log at seq " + std::to_string(next.value) + ": " +
                                           batch.error().message());
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        if (r.seq > target) break;
        auto ev = core::decode_event(r.type, r.payload);
        if (!ev) throw std::runtime_error("event seq " + std::to_string(r.seq.value) + " does not decode");
        auto& f = orders[r.order];
        auto folded = core::apply(f.state, *ev, r.ts);
        if (!folded) throw std::runtime_error("event seq " + std::to_string(r.seq.value) + " is illegal");
        f.state = std::move(*folded);
        f.last_seq = r.seq;
        const auto row = event_row(r);
        events << std::make_tuple(row.seq, row.order_id, row.type, row.status, row.payload, row.ts);
        ++result.events;
      }
      next = batch->back().seq.next();
      if (progress) progress(RebuildProgress{result.events, target.value, elapsed()});
    }
    events.complete();
  }
  std::vector<OrderRow> rows;
  rows.reserve(orders.size());
  for (const auto& [id, f] : orders) rows.push_back(order_row(id, f.state, f.last_seq));
  detail::copy_orders(tx, "orders_next", rows);
  result.orders = rows.size();

  tx.exec("ALTER TABLE order_events_next ADD PRIMARY KEY (seq)");
  tx.exec("CREATE INDEX ON order_events_next (order_id, seq)");
  tx.exec("ALTER TABLE orders_next ADD PRIMARY KEY (order_id)");
  tx.exec("CREATE INDEX ON orders_next (created_ns DESC, order_id DESC)");
  tx.exec("CREATE INDEX ON orders_next (status, created_ns DESC, order_id DESC)");

  // The swap: readers block for the instant of the renames, then see the
  // new tables whole. A live projector blocks on the state row and then
  // continues from `target`.
  tx.exec("SELECT last_seq FROM projection_state WHERE name = 'orders' FOR UPDATE");
  tx.exec("LOCK TABLE orders, order_events IN ACCESS EXCLUSIVE MODE");
  tx.exec("DROP TABLE orders, order_events");
  tx.exec("ALTER TABLE orders_next RENAME TO orders");
  tx.exec("ALTER TABLE order_events_next RENAME TO order_events");
  tx.exec_params("UPDATE projection_state SET last_seq = $1, updated_at = now() WHERE name = 'orders'",
                 static_cast<std::int64_t>(target.value));
  tx.commit();
  result.seconds = elapsed();
  if (progress) progress(RebuildProgress{result.events, target.value, result.seconds});
  return result;
}

}  // namespace oee::projections
