#pragma once
// A SharedJournal kept in a JetStream stream of its own (one subject,
// file-backed, replicated like the partitions): the cluster's market.
//
// Lifecycle: open() creates the stream if the cluster has none (throws,
// saying what is wrong, if it cannot); the connection must outlive the
// journal.

#include <chrono>
#include <memory>
#include <string>

#include "eventlog/jetstream/connection.h"
#include "eventlog/shared_journal.h"

namespace oee::eventlog::jetstream {

struct JournalSpec {
  std::string stream;   // e.g. OEE_MARKET
  std::string subject;  // e.g. oee.market
  /// Bound on each append and read.
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

[[nodiscard]] std::unique_ptr<SharedJournal> open_journal_stream(Connection& connection, const JournalSpec& spec);

}  // namespace oee::eventlog::jetstream
