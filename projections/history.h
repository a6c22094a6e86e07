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
#include <unordered_map>
#include <vector>

#include <boost/system/result.hpp>

#include <pqxx/connection>

#include "core/domain/order.h"

namespace oee::projections {

struct HistoryFilter {
  std::optional<core::Status> status;
  std::optional<core::OrderType> order_type;
  std::optional<core::TokenId> input_token;
  std::optional<core::TokenId> output_token;
  std::optional<std::int64_t> since_ns;  // created at or after
  std::optional<std::int64_t> until_ns;  // created before
  std::optional<std::string> cursor;     // opaque, from a previous page
  std::optional<OrderId> owner;          // an API key's id: only the orders it submitted
  std::size_t limit = 50;
};

enum class HistoryError { invalid_cursor };

/// One page of the history list, newest first.
struct HistoryPage {
  std::vector<core::OrderSnapshot> orders;
  /// The recurring orders' slices' orders, for their progress.
  std::unordered_map<OrderId, core::OrderState, OrderIdHash> children;
  std::optional<std::string> next_cursor;  // none on the last page
};

/// How many dead letters failed with one error text.
struct ErrorCount {
  std::string error;
  std::uint64_t count;
};

/// Opaque keyset cursor <-> (created_ns, order id).
[[nodiscard]] std::string encode_cursor(std::int64_t created_ns, const std::string& order_id);
[[nodiscard]] std::optional<std::pair<std::int64_t, std::string>> decode_cursor(std::string_view cursor);

class HistoryStore {
 public:
  explicit HistoryStore(std::string database_url);
  ~HistoryStore();

  [[nodiscard]] boost::system::result<HistoryPage, HistoryError> list(const HistoryFilter& filter);
  /// Failed orders on the dead-letter list, most recently failed first;
  /// with `owner`, only those that API key submitted.
  [[nodiscard]] std::vector<core::OrderSnapshot> dead_letters(std::size_t limit,
                                                              const std::optional<OrderId>& owner = std::nullopt);
  /// Counts of dead letters by the start of their error text, the part
  /// core::dead_letter_reason reads.
  [[nodiscard]] std::vector<ErrorCount> dead_letter_errors(const std::optional<OrderId>& owner = std::nullopt);
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
