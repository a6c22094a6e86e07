#include "projections/history.h"

#include "projections/order_rows.h"

#include <charconv>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "core/domain/venue.h"
#include "eventlog/types.h"

namespace oee::projections {

namespace {

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(buf >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kB64[(buf << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> unb64url(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const auto pos = kB64.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buf = (buf << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

core::Amount amount(const pqxx::field& f) { return core::Amount{f.is_null() ? 0 : f.as<std::uint64_t>()}; }

// A row back into the state the log folds to: the one renderer then
// shows it exactly as GET /api/orders/{id} does.
core::OrderSnapshot snapshot_of(const pqxx::row& r) {
  core::OrderState s;
  const std::string_view status = r["status"].c_str(), type = r["order_type"].c_str();
  s.status = core::parse_status(status).value_or(core::Status::none);
  s.order_type = core::parse_order_type(type).value_or(core::OrderType::market);
  s.input_token = core::TokenId::name(r["input_token"].c_str()).value_or(core::TokenId{});
  s.output_token = core::TokenId::name(r["output_token"].c_str()).value_or(core::TokenId{});
  s.amount_in = amount(r["amount_in"]);
  s.slippage_bps = r["slippage_bps"].as<std::uint32_t>();
  s.attempt = r["attempts"].as<std::uint32_t>();
  s.dismissed = r["dismissed"].as<bool>();
  if (!r["dex"].is_null()) s.venue = core::parse_venue(r["dex"].c_str());
  s.expected_out = amount(r["expected_out"]);
  s.min_out = amount(r["min_out"]);
  if (!r["tx_id"].is_null()) s.tx_id = r["tx_id"].c_str();
  s.amount_out = amount(r["amount_out"]);
  if (!r["last_error"].is_null()) s.last_error = r["last_error"].c_str();
  if (!r["retry_at_ns"].is_null()) s.retry_at = TimestampNs{r["retry_at_ns"].as<std::int64_t>()};
  if (!r["owner"].is_null()) s.owner = OrderId::parse(r["owner"].c_str());
  s.min_amount_out = amount(r["min_amount_out"]);
  if (!r["expires_at_ns"].is_null()) s.expires_at = TimestampNs{r["expires_at_ns"].as<std::int64_t>()};
  if (!r["triggered_at_ns"].is_null()) s.triggered_at = TimestampNs{r["triggered_at_ns"].as<std::int64_t>()};
  if (!r["require_mint_renounced"].is_null()) {
    s.checks = core::SniperChecks{r["require_mint_renounced"].as<bool>(), r["require_no_freeze"].as<bool>(),
                                  amount(r["min_liquidity"])};
  }
  s.created = TimestampNs{r["created_ns"].as<std::int64_t>()};
  s.updated = TimestampNs{r["updated_ns"].as<std::int64_t>()};
  const OrderId id = *OrderId::parse(r["order_id"].c_str());
  if (!r["recurring"].is_null()) (void)read_recurring(r["recurring"].c_str(), id, s);
  if (!r["parent_id"].is_null()) {
    s.parent = OrderId::parse(r["parent_id"].c_str());
    s.slice = r["slice"].as<std::uint32_t>();
  }
  return core::OrderSnapshot{id, std::move(s), Seq{r["last_seq"].as<std::uint64_t>()}};
}

constexpr const char* kColumns =
    "order_id, order_type, input_token, output_token, amount_in, slippage_bps, status, dex, tx_id, amount_out, "
    "attempts, last_error, created_ns, last_seq, dismissed, expected_out, min_out, retry_at_ns, updated_ns, owner, "
    "min_amount_out, expires_at_ns, triggered_at_ns, require_mint_renounced, require_no_freeze, min_liquidity, "
    "recurring, parent_id, slice";

}  // namespace

std::string encode_cursor(std::int64_t created_ns, const std::string& order_id) {
  return b64url(fmt::format("{}/{}", created_ns, order_id));
}

std::optional<std::pair<std::int64_t, std::string>> decode_cursor(std::string_view cursor) {
  auto raw = unb64url(cursor);
  if (!raw) return std::nullopt;
  const auto slash = raw->find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::int64_t ns = 0;
  const auto num = std::string_view(*raw).substr(0, slash);
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), ns);
  if (ec != std::errc{} || ptr != num.data() + num.size()) return std::nullopt;
  const std::string id = raw->substr(slash + 1);
  if (!OrderId::parse(id)) return std::nullopt;
  return std::pair{ns, id};
}

class HistoryStore::Lease {
 public:
  explicit Lease(HistoryStore& s) : store_(s), c_(s.acquire()) {}
  ~Lease() {
    if (c_) store_.release(std::move(c_));
  }
  pqxx::connection& operator*() { return *c_; }
  void discard() { c_.reset(); }

 private:
  HistoryStore& store_;
  std::unique_ptr<pqxx::connection> c_;
};

HistoryStore::HistoryStore(std::string database_url) : url_(std::move(database_url)) {}
HistoryStore::~HistoryStore() = default;

std::unique_ptr<pqxx::connection> HistoryStore::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->is_open()) return c;
    }
  }
  return std::make_unique<pqxx::connection>(url_);
}

void HistoryStore::release(std::unique_ptr<pqxx::connection> c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 4 && c->is_open()) idle_.push_back(std::move(c));
}

boost::system::result<HistoryPage, HistoryError> HistoryStore::list(const HistoryFilter& f) {
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (f.cursor) {
    after = decode_cursor(*f.cursor);
    if (!after) return HistoryError::invalid_cursor;
  }
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    // Names are NUL-terminated literals (status_name, order_type_name, listed token symbols).
    const char* status = f.status ? core::status_name(*f.status).data() : nullptr;
    const char* order_type = f.order_type ? core::order_type_name(*f.order_type).data() : nullptr;
    const char* input_token = f.input_token ? f.input_token->c_str() : nullptr;
    const char* output_token = f.output_token ? f.output_token->c_str() : nullptr;
    const std::string since = f.since_ns ? std::to_string(*f.since_ns) : "";
    const std::string until = f.until_ns ? std::to_string(*f.until_ns) : "";
    const std::string after_ns = after ? std::to_string(after->first) : "";
    const std::string owner = f.owner ? f.owner->str() : "";
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns +
            " FROM orders WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR input_token = $2)"
            " AND ($3::text IS NULL OR output_token = $3) AND ($4::bigint IS NULL OR created_ns >= $4)"
            " AND ($5::bigint IS NULL OR created_ns < $5)"
            " AND ($6::bigint IS NULL OR (created_ns, order_id) < ($6, $7::uuid))"
            " AND ($9::uuid IS NULL OR owner = $9) AND ($10::text IS NULL OR order_type = $10)"
            " ORDER BY created_ns DESC, order_id DESC LIMIT $8",
        status, input_token, output_token, f.since_ns ? since.c_str() : nullptr, f.until_ns ? until.c_str() : nullptr,
        after ? after_ns.c_str() : nullptr, after ? after->second.c_str() : nullptr,
        static_cast<std::int64_t>(f.limit + 1), f.owner ? owner.c_str() : nullptr, order_type);
    HistoryPage page;
    const std::size_t n = std::min<std::size_t>(rows.size(), f.limit);
    for (std::size_t i = 0; i < n; ++i) page.orders.push_back(snapshot_of(rows[static_cast<int>(i)]));
    if (rows.size() > f.limit) {
      const auto& last = page.orders.back();
      page.next_cursor = encode_cursor(last.state.created.value, last.id.str());
    }
    // A recurring order's progress is its slices': read them in one query.
    std::string parents;  // a uuid[] literal: ids need no quoting
    for (const auto& o : page.orders) {
      if (o.state.order_type != core::OrderType::recurring || o.state.slices.empty()) continue;
      parents += (parents.empty() ? "{" : ",") + o.id.str();
    }
    if (!parents.empty()) {
      const auto children = tx.exec_params(std::string("SELECT ") + kColumns +
                                               " FROM orders WHERE parent_id = ANY($1::uuid[])",
                                           parents + "}");
      for (const auto& r : children) {
        auto child = snapshot_of(r);
        page.children.emplace(child.id, std::move(child.state));
      }
    }
    return page;
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

std::vector<core::OrderSnapshot> HistoryStore::dead_letters(std::size_t limit, const std::optional<OrderId>& owner) {
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    const std::string owner_text = owner ? owner->str() : "";
    const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                         " FROM orders WHERE status = 'failed' AND NOT dismissed"
                                         " AND ($2::uuid IS NULL OR owner = $2) ORDER BY updated_at DESC, order_id"
                                         " LIMIT $1",
                                     static_cast<std::int64_t>(limit), owner ? owner_text.c_str() : nullptr);
    std::vector<core::OrderSnapshot> orders;
    orders.reserve(rows.size());
    for (const auto& r : rows) orders.push_back(snapshot_of(r));
    return orders;
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

std::vector<ErrorCount> HistoryStore::dead_letter_errors(const std::optional<OrderId>& owner) {
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    const std::string owner_text = owner ? owner->str() : "";
    // Grouped by what comes before the first ':' or '(', which is all
    // core::dead_letter_reason reads: errors carry amounts and tx ids, so
    // grouping by the whole text would send about a row per dead letter.
    const auto rows = tx.exec_params(
        "SELECT substring(coalesce(last_error, '') from '^[^:(]*'), count(*) FROM orders"
        " WHERE status = 'failed' AND NOT dismissed AND ($1::uuid IS NULL OR owner = $1) GROUP BY 1",
        owner ? owner_text.c_str() : nullptr);
    std::vector<ErrorCount> errors;
    errors.reserve(rows.size());
    for (const auto& r : rows) errors.push_back(ErrorCount{r[0].c_str(), r[1].as<std::uint64_t>()});
    return errors;
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

bool HistoryStore::reachable() {
  try {
    Lease lease(*this);
    pqxx::nontransaction tx(*lease);
    tx.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace oee::projections
