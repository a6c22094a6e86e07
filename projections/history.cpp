#include "projections/history.h"

#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include "core/domain/amount.h"
#include "core/domain/tokens.h"
#include "core/wire/status_message.h"
#include "eventlog/types.h"

namespace oee::projections {

namespace json = boost::json;

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

int decimals(const std::string& symbol) {
  const auto* t = core::find_token(symbol);
  return t == nullptr ? 0 : t->decimals;
}

std::string base_units(const pqxx::field& f, const std::string& token) {
  return core::format_amount(core::Amount{f.as<std::uint64_t>()}, decimals(token));
}

// Same field names as GET /api/orders/{id}.
json::object order_json(const pqxx::row& r) {
  const std::string in = r["input_token"].c_str(), out = r["output_token"].c_str();
  json::object o;
  o["orderId"] = r["order_id"].c_str();
  o["status"] = r["status"].c_str();
  o["orderType"] = r["order_type"].c_str();
  o["inputToken"] = in;
  o["outputToken"] = out;
  o["amountIn"] = base_units(r["amount_in"], in);
  o["slippage"] = core::bps_fraction(r["slippage_bps"].as<std::uint32_t>());
  o["attempt"] = r["attempts"].as<int>();
  o["seq"] = r["last_seq"].as<std::int64_t>();
  o["createdAt"] = r["created_ns"].as<std::int64_t>();
  o["updatedAt"] = r["updated_us"].as<std::int64_t>() * 1000;
  if (!r["dex"].is_null()) o["dex"] = r["dex"].c_str();
  if (!r["tx_id"].is_null()) o["txHash"] = r["tx_id"].c_str();
  if (!r["amount_out"].is_null()) o["amountOut"] = base_units(r["amount_out"], out);
  if (!r["executed_price"].is_null()) o["executedPrice"] = r["executed_price"].c_str();
  if (!r["last_error"].is_null()) o["error"] = r["last_error"].c_str();
  if (r["dismissed"].as<bool>()) o["dismissed"] = true;
  const std::string_view status = r["status"].c_str();
  o["terminal"] = status == "confirmed" || status == "failed";
  return o;
}

constexpr const char* kColumns =
    "order_id, order_type, input_token, output_token, amount_in, slippage_bps, status, dex, tx_id, "
    "executed_price::text AS executed_price, amount_out, attempts, last_error, created_ns, last_seq, dismissed, "
    "(extract(epoch FROM updated_at) * 1000000)::bigint AS updated_us";

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

boost::system::result<json::object, HistoryError> HistoryStore::list(const HistoryFilter& f) {
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (f.cursor) {
    after = decode_cursor(*f.cursor);
    if (!after) return HistoryError::invalid_cursor;
  }
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    auto opt = [](const std::optional<std::string>& v) -> const char* { return v ? v->c_str() : nullptr; };
    const std::string since = f.since_ns ? std::to_string(*f.since_ns) : "";
    const std::string until = f.until_ns ? std::to_string(*f.until_ns) : "";
    const std::string after_ns = after ? std::to_string(after->first) : "";
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns +
            " FROM orders WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR input_token = $2)"
            " AND ($3::text IS NULL OR output_token = $3) AND ($4::bigint IS NULL OR created_ns >= $4)"
            " AND ($5::bigint IS NULL OR created_ns < $5)"
            " AND ($6::bigint IS NULL OR (created_ns, order_id) < ($6, $7::uuid))"
            " ORDER BY created_ns DESC, order_id DESC LIMIT $8",
        opt(f.status), opt(f.input_token), opt(f.output_token), f.since_ns ? since.c_str() : nullptr,
        f.until_ns ? until.c_str() : nullptr, after ? after_ns.c_str() : nullptr,
        after ? after->second.c_str() : nullptr, static_cast<std::int64_t>(f.limit + 1));
    json::array orders;
    const std::size_t n = std::min<std::size_t>(rows.size(), f.limit);
    for (std::size_t i = 0; i < n; ++i) orders.push_back(order_json(rows[static_cast<int>(i)]));
    json::object page{{"orders", std::move(orders)}, {"count", n}};
    if (rows.size() > f.limit) {
      const auto& last = rows[static_cast<int>(f.limit - 1)];
      page["nextCursor"] = encode_cursor(last["created_ns"].as<std::int64_t>(), last["order_id"].c_str());
    } else {
      page["nextCursor"] = nullptr;
    }
    return page;
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

json::object HistoryStore::dead_letters(std::size_t limit) {
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                         " FROM orders WHERE status = 'failed' AND NOT dismissed ORDER BY updated_at DESC, order_id"
                                         " LIMIT $1",
                                     static_cast<std::int64_t>(limit));
    json::array orders;
    for (const auto& r : rows) orders.push_back(order_json(r));
    return json::object{{"count", orders.size()}, {"orders", std::move(orders)}};
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

json::object HistoryStore::dead_letter_stats() {
  Lease lease(*this);
  try {
    pqxx::read_transaction tx(*lease);
    // The reason's first clause, as the log-backed endpoint groups it.
    const auto rows = tx.exec(
        "SELECT trim(split_part(split_part(coalesce(last_error, ''), ':', 1), '(', 1)) AS reason, count(*)"
        " FROM orders WHERE status = 'failed' AND NOT dismissed GROUP BY 1 ORDER BY 1");
    json::object reasons;
    std::int64_t total = 0;
    for (const auto& r : rows) {
      reasons[r[0].c_str()] = r[1].as<std::int64_t>();
      total += r[1].as<std::int64_t>();
    }
    return json::object{{"failed", total}, {"byReason", std::move(reasons)}};
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
