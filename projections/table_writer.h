#pragma once
// Bulk writes of projection rows inside a caller's transaction (COPY).

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "projections/order_rows.h"

namespace oee::projections::detail {

void copy_events(pqxx::work& tx, const std::string& table, const std::vector<EventRow>& rows);
void copy_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows);
/// Inserts or replaces orders (one row per order id) through a staging table.
void upsert_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows);

}  // namespace oee::projections::detail
