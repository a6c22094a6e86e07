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

/// Appends one key event and, once it is durable, folds it into `ring`, so
/// a created key works and a revoked one stops working with the answer.
[[nodiscard]] boost::asio::awaitable<eventlog::Result<eventlog::AppendOutcome>> append_key_event(
    eventlog::EventLogWriter& log, KeyRing& ring, const core::KeyId& id, const core::KeyEvent& event);

}  // namespace oee::api
