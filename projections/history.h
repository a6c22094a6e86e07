#pragma once
// Queries of the order history in PostgreSQL for the REST API.
//
// Thread-safe: a small pool of connections, one per concurrent caller;
// calls block, so the API runs them off its network threads.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <pqxx/connection>

namespace oee::projections {

struct HistoryFilter {
  std::optional<std::string> status;
  std::optional<std::string> input_token;
  std::optional<std::string> output_token;
  std::optional<std::int64_t> since_ns;  // created at or after
  std::optional<std::int64_t> until_ns;  // created before
  std::optional<std::string> cursor;     // opaque, from a previous page
  std::size_t limit = 50;
};

enum class HistoryError { invalid_cursor };

/// Opaque keyset cursor <-> (created_ns, order id).
[[nodiscard]] std::string encode_cursor(std::int64_t created_ns, const std::string& order_id);
[[nodiscard]] std::optional<std::pair<std::int64_t, std::string>> decode_cursor(std::string_view cursor);

class HistoryStore {
 public:
  explicit HistoryStore(std::string database_url);
  ~HistoryStore();

  /// {"orders":[...], "nextCursor": "…" | null}, newest first.
  [[nodiscard]] boost::system::result<boost::json::object, HistoryError> list(const HistoryFilter& filter);
  /// Failed orders, most recently failed first.
  [[nodiscard]] boost::json::object dead_letters(std::size_t limit);
  [[nodiscard]] boost::json::object dead_letter_stats();
  /// Whether PostgreSQL answers right now.
  [[nodiscard]] bool reachable();

 private:
  class Lease;
  std::unique_ptr<pqxx::connection> acquire();
  void release(std::unique_ptr<pqxx::connection> c);

  std::string url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

}  // namespace oee::projections
