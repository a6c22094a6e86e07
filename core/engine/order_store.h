#pragma once
// The command side of orders: folds an event into the order's state and
// appends the event with the new state, which the log's order index holds
// in memory (and writes in a record once the order finishes).
//
// Thread-safe (the log serialises appends). Callers must not append two
// events for the same order concurrently: each order has one writer at a
// time (the API for `submitted`, then the executor).

#include <functional>
#include <optional>
#include <span>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

struct AppendedEvent {
  Seq seq;
  TimestampNs ts;
  OrderState state;
  /// Set when the idempotency key was claimed before: nothing was appended.
  std::optional<eventlog::IdempotencyEntry> existing;
};

class OrderStore {
 public:
  explicit OrderStore(eventlog::EventLogWriter& log) : log_(log) {}

  /// Returns the order's state once the event is in (what `done` gets on
  /// success), before it is durable. Throws std::logic_error if the event
  /// is illegal in `current` (a bug).
  OrderState append(const OrderId& id, const OrderState& current, OrderEvent event,
                    std::optional<eventlog::IdempotencyClaim> claim,
                    std::function<void(eventlog::Result<AppendedEvent>)> done);
  /// The same for an event decided on `current` as of seq `basis`: refused
  /// (AppendCommand::basis) if another node appended to the order since.
  OrderState append_on(const OrderId& id, const OrderState& current, Seq basis, OrderEvent event,
                       std::function<void(eventlog::Result<AppendedEvent>)> done);

  /// An event made ready to append: its command, and the order's state
  /// once it is in.
  struct Prepared {
    eventlog::AppendCommand command;
    OrderState next;
  };
  /// What append does before it queues the command, for callers that
  /// queue many at once (EventLogWriter::append_all). Throws
  /// std::logic_error if the event is illegal in `current` (a bug).
  [[nodiscard]] static Prepared prepare(const OrderId& id, const OrderState& current, OrderEvent event,
                                        std::optional<eventlog::IdempotencyClaim> claim);

  [[nodiscard]] eventlog::Result<std::optional<OrderSnapshot>> load(const OrderId& id) const;
  /// Orders of partition `p` at once, in the order given (none for one it
  /// does not hold): one read of the partition, not one per order.
  [[nodiscard]] eventlog::Result<std::vector<std::optional<OrderSnapshot>>> load_all(
      PartitionId p, std::span<const OrderId> ids) const;
  /// Up to `max` orders of a set (eventlog::OrderSet), partition by
  /// partition: each partition's members and their snapshots in one read
  /// each. An order that left the set meanwhile may be among them.
  [[nodiscard]] eventlog::Result<std::vector<OrderSnapshot>> load_set(eventlog::OrderSet set, std::size_t max) const;
  [[nodiscard]] eventlog::EventLogWriter& log() { return log_; }

 private:
  OrderState queue(Prepared p, std::function<void(eventlog::Result<AppendedEvent>)> done);

  eventlog::EventLogWriter& log_;
};

}  // namespace oee::core
