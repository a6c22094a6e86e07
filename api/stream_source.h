#pragma once
// Where a WebSocket session gets an order's events: live updates from the
// hub, and the past (from a seq) on request. The core reads its own log;
// a gateway asks the core over HTTP and is fed live by Redis.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/hub.h"

namespace oee::eventlog {
class EventLog;
}

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
  /// The order's events with seq >= from; `done` runs once, on any thread.
  virtual void catch_up(const OrderId& order, Seq from, CatchUpHandler done) = 0;
  /// For error messages: "log" or "core".
  [[nodiscard]] virtual std::string_view origin() const = 0;
};

/// The core's source: its own log, read synchronously (it is local).
class LogStreamSource final : public StreamSource {
 public:
  LogStreamSource(Hub& hub, const eventlog::EventLog& log) : hub_(hub), log_(log) {}
  Hub& hub() override { return hub_; }
  void catch_up(const OrderId& order, Seq from, CatchUpHandler done) override;
  std::string_view origin() const override { return "log"; }

 private:
  Hub& hub_;
  const eventlog::EventLog& log_;
};

}  // namespace oee::api
