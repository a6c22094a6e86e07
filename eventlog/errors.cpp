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
    }
    return "unknown event log error";
  }
};

}  // namespace

const std::error_category& log_category() noexcept {
  static const LogCategory category;
  return category;
}

}  // namespace oee::eventlog
