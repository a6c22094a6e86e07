#pragma once
// What a JetStream operation can fail with, beyond the log's own Errc: the
// answers fencing and create-only keys are built on, told apart from an
// outage so a caller can react to each.

#include <system_error>

namespace oee::eventlog::jetstream {

enum class JsErrc {
  ok = 0,
  wrong_last_sequence = 1,  // a fenced publish: the stream (or subject) moved on since the caller looked
  exists = 2,               // a create-only key or subject already holds a value
  not_found = 3,            // no such message, key or stream
  timeout = 4,              // sent, but no answer within the bound: the outcome is unknown
  not_connected = 5,        // no server reachable right now: nothing was sent
  server_error = 6,         // the server refused the request (see the log line for its text)
  bad_config = 7,           // the cluster holds a configuration this node cannot use
  conflict = 8,             // another event of the same order came first: decide again on the new state
  fenced = 9,               // another node took the partition over: this node's executor must stop
  refused = 10,             // the partition's owner refused a forwarded event (not one the path may carry)
  lease_lost = 11,          // this node's lease on the partition ran out: it does not take the partition over
};

const std::error_category& jetstream_category() noexcept;
inline std::error_code make_error_code(JsErrc e) noexcept { return {static_cast<int>(e), jetstream_category()}; }

}  // namespace oee::eventlog::jetstream

template <>
struct std::is_error_code_enum<oee::eventlog::jetstream::JsErrc> : std::true_type {};
