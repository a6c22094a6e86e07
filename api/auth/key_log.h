#pragma once
// API keys in the event log: a key's events are filed under its id, and
// the log's api_keys set lists every key, so a start reads them without
// scanning the log.

#include <boost/asio/awaitable.hpp>

#include "api/auth/key_ring.h"
#include "core/domain/api_key.h"
#include "eventlog/event_log.h"

namespace oee::api {

/// Folds every key the log holds into `ring`. Fails only if the log does.
[[nodiscard]] eventlog::Result<std::size_t> load_keys(const eventlog::EventLogReader& log, KeyRing& ring);

/// Folds every key event the log commits into `ring`, on the writer thread
/// before the append's completion and before the listeners registered after
/// it: so a created key works, and a revoked one stops working, by the time
/// the answer goes out or anything (the publisher) announces the event.
/// Register it before the other listeners.
[[nodiscard]] eventlog::CommitSubscription follow_keys(eventlog::EventLogWriter& log, KeyRing& ring);

/// Appends one key event; follow_keys folds it into the ring.
[[nodiscard]] boost::asio::awaitable<eventlog::Result<eventlog::AppendOutcome>> append_key_event(
    eventlog::EventLogWriter& log, const core::KeyId& id, const core::KeyEvent& event);

}  // namespace oee::api
