#pragma once
// Where a WebSocket session gets an order's events: live updates from the
// hub, and the past (from a seq) on request. The core reads its own log;
// a gateway asks the core over HTTP and is fed live by Redis.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/auth/access.h"
#include "api/stream/hub.h"
#include "eventlog/event_log.h"

namespace oee::api {

struct CatchUp {
  enum class Outcome { ok, not_found, unavailable };
  Outcome outcome = Outcome::ok;
  std::vector<std::shared_ptr<const StatusUpdate>> updates;  // in seq order
  std::string error;  // for not_found and unavailable
};

using CatchUpHandler = std::function<void(CatchUp)>;

class StreamSource {
 public:
  virtual ~StreamSource() = default;
  [[nodiscard]] virtual Hub& hub() = 0;
  /// The order's events with seq >= from, not_found if `viewer` may not
  /// see it; `done` runs once, on any thread.
  virtual void catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) = 0;
  /// The error code a client gets when the past cannot be read.
  [[nodiscard]] virtual std::string_view unavailable_code() const = 0;
};

/// An order's events with seq >= from; nullopt if there is no such order
/// or `viewer` may not see it (another key's order is as absent as one that
/// never was). A known order with nothing from `from` on has an empty list.
[[nodiscard]] eventlog::Result<std::optional<std::vector<eventlog::Record>>> read_known_order(
    const eventlog::EventLogReader& log, const OrderId& order, Seq from, const Principal& viewer);

/// The core's source: its own log, read synchronously (it is local).
class LogStreamSource final : public StreamSource {
 public:
  LogStreamSource(Hub& hub, const eventlog::EventLogReader& log) : hub_(hub), log_(log) {}
  Hub& hub() override { return hub_; }
  void catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) override;
  std::string_view unavailable_code() const override { return "log_unavailable"; }

 private:
  Hub& hub_;
  const eventlog::EventLogReader& log_;
};

}  // namespace oee::api
