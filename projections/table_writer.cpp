#include "projections/table_writer.h"

namespace oee::projections::detail {

namespace {

const char* nullable(const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; }

const std::vector<std::string> kOrderColumns{
    "order_id", "order_type", "input_token", "output_token", "amount_in", "slippage_bps", "status", "dex", "tx_id",
    "executed_price", "amount_out", "attempts", "last_error", "created_at", "updated_at", "created_ns", "last_seq"};

void copy_order_rows(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows) {
  pqxx::stream_to stream(tx, table, kOrderColumns);
  for (const auto& r : rows) {
    stream << std::make_tuple(r.order_id, r.order_type, r.input_token, r.output_token, r.amount_in, r.slippage_bps,
                              r.status, nullable(r.dex), nullable(r.tx_id), nullable(r.executed_price),
                              nullable(r.amount_out), r.attempts, nullable(r.last_error), r.created_at, r.updated_at,
                              r.created_ns, r.last_seq);
  }
  stream.complete();
}

}  // namespace

void copy_events(pqxx::work& tx, const std::string& table, const std::vector<EventRow>& rows) {
  pqxx::stream_to stream(tx, table, std::vector<std::string>{"seq", "order_id", "type", "status", "payload", "ts"});
  for (const auto& r : rows) stream << std::make_tuple(r.seq, r.order_id, r.type, r.status, r.payload, r.ts);
  stream.complete();
}

void copy_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows) {
  copy_order_rows(tx, table, rows);
}

void upsert_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows) {
  if (rows.empty()) return;
  tx.exec("CREATE TEMP TABLE IF NOT EXISTS orders_stage (LIKE orders INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
  copy_order_rows(tx, "orders_stage", rows);
  std::string set;
  for (const auto& c : kOrderColumns) {
    if (c == "order_id") continue;
    set += (set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
  }
  tx.exec("INSERT INTO " + tx.quote_name(table) + " SELECT * FROM orders_stage ON CONFLICT (order_id) DO UPDATE SET " +
          set);
}

}  // namespace oee::projections::detail
