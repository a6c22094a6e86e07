#pragma once
// Bulk writes of projection rows inside a caller's transaction (COPY).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "projections/order_rows.h"

namespace oee::projections::detail {

/// COPY ... FROM STDIN in text format with our own escaping: libpqxx's
/// typed escaper was the largest single cost of a rebuild. Lines are sent
/// in chunks of about 64 KiB.
class CopyWriter {
 public:
  CopyWriter(pqxx::work& tx, const std::string& table, const std::vector<std::string>& columns);
  ~CopyWriter();
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;

  CopyWriter& field(std::string_view text);  // escaped
  CopyWriter& field(std::int64_t value);
  CopyWriter& null();
  void end_row();
  void complete();

 private:
  void flush();
  std::unique_ptr<pqxx::tablestream> stream_;
  std::string buffer_;
  bool row_started_ = false;
};

const std::vector<std::string>& event_columns();
void write_event(CopyWriter& w, const EventRow& row);
void copy_events(pqxx::work& tx, const std::string& table, const std::vector<EventRow>& rows);
void copy_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows);
/// Inserts or replaces orders (one row per order id) through a staging table.
void upsert_orders(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows);

}  // namespace oee::projections::detail
