#pragma once
// Versioned schema migrations, applied in name order at start-up and
// recorded in schema_migrations, so applying them again changes nothing.

#include <span>
#include <string_view>

#include <pqxx/connection>

namespace oee::projections {

struct Migration {
  std::string_view name;  // "001_orders"
  std::string_view sql;
};

/// Every migration, in order (generated from projections/migrations/*.sql).
std::span<const Migration> migrations();

/// Applies the missing migrations in one transaction under an advisory lock
/// (several processes may start at once). Returns how many were applied.
int migrate(pqxx::connection& connection);

}  // namespace oee::projections
