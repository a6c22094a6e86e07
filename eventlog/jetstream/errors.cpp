#include "eventlog/jetstream/errors.h"

#include "eventlog/errors.h"

#include <string>

namespace oee::eventlog::jetstream {

namespace {

class JetStreamCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "oee.jetstream"; }
  std::string message(int ev) const override {
    switch (static_cast<JsErrc>(ev)) {
      case JsErrc::ok: return "ok";
      case JsErrc::wrong_last_sequence: return "the stream moved on since the expected sequence (fenced)";
      case JsErrc::exists: return "the key already exists";
      case JsErrc::not_found: return "not found";
      case JsErrc::timeout: return "no answer from the NATS cluster in time; the outcome is unknown";
      case JsErrc::not_connected: return "no NATS server took the request (none reachable, or the stream has no leader right now)";
      case JsErrc::server_error: return "the NATS server refused the request";
      case JsErrc::bad_config: return "the cluster's configuration does not match this node's";
      case JsErrc::conflict: return "another event of the order came first";
      case JsErrc::fenced: return "another node took the partition over";
      case JsErrc::refused: return "the partition's owner refused the event: not one another node may ask it to append";
      case JsErrc::lease_lost: return "this node's lease on the partition ran out before its takeover went out";
    }
    return "unknown JetStream error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<JsErrc>(ev)) {
      case JsErrc::timeout: return Failure::outcome_unknown;
      case JsErrc::not_connected: return Failure::unavailable;
      case JsErrc::fenced: return Failure::fenced;
      default: return {ev, *this};
    }
  }
};

}  // namespace

const std::error_category& jetstream_category() noexcept {
  static const JetStreamCategory category;
  return category;
}

}  // namespace oee::eventlog::jetstream
