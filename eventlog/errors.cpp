#include "eventlog/errors.h"

#include <string>

namespace oee::eventlog {

namespace {

class LogCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "oee.eventlog"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok: return "ok";
      case Errc::io_error: return "the event log could not be read or written";
      case Errc::corrupted: return "a stored event failed its checksum or could not be decoded";
      case Errc::closed: return "the event log is closed";
      case Errc::read_only: return "the event log is open read-only";
      case Errc::unavailable: return "the event log cannot take writes until its storage recovers";
      case Errc::superseded: return "another entry came first";
      case Errc::illegal: return "a stored event is illegal in its order's state (a log written by an older build)";
      case Errc::no_owner:
        return "no node executes the order's partition right now (a failover is under way); nothing was stored";
      case Errc::too_late: return "its validity ended too long ago: it was not stored, and never will be";
    }
    return "unknown event log error";
  }
};

// The log's own codes and the system's; a backend's category maps its
// own codes (jetstream/errors.cpp).
class FailureCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "oee.failure"; }
  std::string message(int ev) const override {
    switch (static_cast<Failure>(ev)) {
      case Failure::outcome_unknown: return "sent and not answered in time: it may have been stored";
      case Failure::no_owner: return "no node owns the partition right now: nothing was stored";
      case Failure::unavailable: return "the storage cannot be reached or written right now: nothing was stored";
      case Failure::fenced: return "another writer took the log over";
    }
    return "unknown failure";
  }
  bool equivalent(const std::error_code& code, int condition) const noexcept override {
    switch (static_cast<Failure>(condition)) {
      case Failure::outcome_unknown: return code == std::errc::timed_out;
      case Failure::no_owner: return code == Errc::no_owner;
      case Failure::unavailable: return code == Errc::unavailable;
      case Failure::fenced: return false;
    }
    return false;
  }
};

}  // namespace

const std::error_category& log_category() noexcept {
  static const LogCategory category;
  return category;
}

const std::error_category& failure_category() noexcept {
  static const FailureCategory category;
  return category;
}

}  // namespace oee::eventlog
