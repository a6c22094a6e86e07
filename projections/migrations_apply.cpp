#include <pqxx/pqxx>

#include "projections/migrations.h"

namespace oee::projections {

int migrate(pqxx::connection& connection) {
  pqxx::work tx(connection);
  // Serialises concurrent starters; released at commit.
  tx.exec("SELECT pg_advisory_xact_lock(4242001)");
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  int applied = 0;
  for (const auto& m : migrations()) {
    const auto done = tx.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", std::string(m.name));
    if (!done.empty()) continue;
    tx.exec(std::string(m.sql));
    tx.exec_params("INSERT INTO schema_migrations (name) VALUES ($1)", std::string(m.name));
    ++applied;
  }
  tx.commit();
  return applied;
}

}  // namespace oee::projections
