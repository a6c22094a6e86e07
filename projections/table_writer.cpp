#include "projections/table_writer.h"

namespace oee::projections::detail {

// tablewriter is deprecated in libpqxx 6.4, but it is the only public way
// to send raw COPY lines in that version.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
CopyWriter::CopyWriter(pqxx::work& tx, const std::string& table, const std::vector<std::string>& columns)
    : stream_(std::make_unique<pqxx::tablewriter>(tx, table, columns.begin(), columns.end())) {
  buffer_.reserve(80 * 1024);
}

void CopyWriter::flush() {
  if (buffer_.empty()) return;
  buffer_.pop_back();  // write_raw_line adds the last newline itself
  static_cast<pqxx::tablewriter&>(*stream_).write_raw_line(buffer_);
  buffer_.clear();
}
#pragma GCC diagnostic pop

CopyWriter::~CopyWriter() = default;

CopyWriter& CopyWriter::field(std::string_view text) {
  if (row_started_) buffer_.push_back('\t');
  row_started_ = true;
  // Copy runs of ordinary characters in bulk; only \\, tab, newline and
  // carriage return need escaping in COPY's text format.
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  for (const char* p = run; p < end; ++p) {
    const char c = *p;
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    buffer_.append(run, static_cast<std::size_t>(p - run));
    buffer_ += c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r";
    run = p + 1;
  }
  buffer_.append(run, static_cast<std::size_t>(end - run));
  return *this;
}

CopyWriter& CopyWriter::field(std::int64_t value) {
  if (row_started_) buffer_.push_back('\t');
  row_started_ = true;
  buffer_ += std::to_string(value);
  return *this;
}

CopyWriter& CopyWriter::null() {
  if (row_started_) buffer_.push_back('\t');
  row_started_ = true;
  buffer_ += "\\N";
  return *this;
}

void CopyWriter::end_row() {
  buffer_.push_back('\n');
  row_started_ = false;
  if (buffer_.size() >= 64 * 1024) flush();
}

void CopyWriter::complete() {
  flush();
  stream_->complete();
}

namespace {

const std::vector<std::string> kOrderColumns{
    "order_id", "order_type", "input_token", "output_token", "amount_in", "slippage_bps", "status", "dex", "tx_id",
    "executed_price", "amount_out", "attempts", "last_error", "created_at", "updated_at", "created_ns", "last_seq",
    "dismissed", "expected_out", "min_out", "retry_at_ns", "updated_ns", "owner",
    "min_amount_out", "expires_at_ns", "triggered_at_ns", "require_mint_renounced", "require_no_freeze",
    "min_liquidity", "recurring", "parent_id", "slice"};

template <class T>
CopyWriter& optional_field(CopyWriter& w, const std::optional<T>& v) {
  return v ? w.field(*v) : w.null();
}

void copy_order_rows(pqxx::work& tx, const std::string& table, const std::vector<OrderRow>& rows) {
  CopyWriter w(tx, table, kOrderColumns);
  for (const auto& r : rows) {
    w.field(r.order_id).field(r.order_type).field(r.input_token).field(r.output_token).field(r.amount_in);
    w.field(std::int64_t{r.slippage_bps}).field(r.status);
    optional_field(w, r.dex);
    optional_field(w, r.tx_id);
    optional_field(w, r.executed_price);
    optional_field(w, r.amount_out);
    w.field(std::int64_t{r.attempts});
    optional_field(w, r.last_error);
    w.field(r.created_at).field(r.updated_at).field(r.created_ns).field(r.last_seq);
    w.field(std::string_view(r.dismissed ? "t" : "f"));
    optional_field(w, r.expected_out);
    optional_field(w, r.min_out);
    optional_field(w, r.retry_at_ns);
    w.field(r.updated_ns);
    optional_field(w, r.owner);
    optional_field(w, r.min_amount_out);
    optional_field(w, r.expires_at_ns);
    optional_field(w, r.triggered_at_ns);
    if (r.checks) {
      w.field(std::string_view(r.checks->require_mint_renounced ? "t" : "f"));
      w.field(std::string_view(r.checks->require_no_freeze ? "t" : "f"));
      w.field(std::to_string(r.checks->min_liquidity.base));
    } else {
      w.null().null().null();
    }
    optional_field(w, r.recurring);
    optional_field(w, r.parent_id);
    optional_field(w, r.slice);
    w.end_row();
  }
  w.complete();
}

}  // namespace

void write_event(CopyWriter& w, const EventRow& r) {
  w.field(r.seq).field(r.order_id).field(r.type).field(r.status).field(r.payload).field(r.ts).field(r.log_partition);
  w.end_row();
}

const std::vector<std::string>& event_columns() {
  static const std::vector<std::string> columns{"seq", "order_id", "type", "status", "payload", "ts",
                                                "log_partition"};
  return columns;
}

void copy_events(pqxx::work& tx, const std::string& table, const std::vector<EventRow>& rows) {
  CopyWriter w(tx, table, event_columns());
  for (const auto& r : rows) write_event(w, r);
  w.complete();
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
