#pragma once
// Where the offline tools (oee-logdump, oee-projector) read the log: the
// one in a data directory, as a RocksDB secondary beside a running server,
// or a cluster's from NATS JetStream (--nats), as a reader that takes no
// lease and the partition count the cluster recorded.

#include <memory>
#include <string>

#include "eventlog/event_log.h"
#include "eventlog/key_value_store.h"

namespace oee::eventlog::jetstream {
class Cluster;
}

namespace oee::tools {

struct LogSource {
  std::string data_dir = "./data";
  std::string nats;  // comma list of URLs; empty: the data directory's log
  std::string nats_creds;
  std::string nats_ca;  // PEM CA certificates for tls:// URLs; empty: the system's

  [[nodiscard]] bool clustered() const { return !nats.empty(); }
  [[nodiscard]] std::string describe() const;
};

/// An open log and, for a cluster's, the cluster it reads (destroyed after
/// the log).
struct OpenLog {
  OpenLog();
  OpenLog(OpenLog&&) noexcept;
  OpenLog& operator=(OpenLog&&) noexcept;
  ~OpenLog();

  std::unique_ptr<eventlog::jetstream::Cluster> cluster;
  std::unique_ptr<eventlog::EventLogReader> log;
};

/// Opens the log `source` names, for `tool` (a cluster reader's name is
/// the tool's and its pid). Throws std::runtime_error saying what is wrong.
[[nodiscard]] OpenLog open_log(const LogSource& source, const std::string& tool);

/// The simulated chain's ledger beside that log, read-only: the data
/// directory's (simchain/ledger), or the cluster's blocks (stream OEE_CHAIN);
/// nullptr when the data directory has none. Throws std::runtime_error
/// saying what is wrong if it cannot be opened.
[[nodiscard]] std::unique_ptr<eventlog::KeyValueStore> open_ledger(const LogSource& source, OpenLog& opened);

}  // namespace oee::tools
