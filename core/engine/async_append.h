#pragma once
// Awaitable form of OrderStore::append for Asio coroutines. The completion
// resumes the coroutine on its own executor, never on the log's writer thread.

#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/engine/order_store.h"

namespace oee::core {

[[nodiscard]] boost::asio::awaitable<eventlog::Result<AppendedEvent>> async_append(
    OrderStore& store, const OrderId& id, const OrderState& current, const OrderEvent& event,
    const eventlog::IdempotencyClaim* claim = nullptr);

/// The same for an event decided on the order as `seen` shows it: a log
/// other nodes write to refuses it once the order has a later event (then
/// read the order again and decide again).
[[nodiscard]] boost::asio::awaitable<eventlog::Result<AppendedEvent>> async_append_on(OrderStore& store,
                                                                                     const OrderSnapshot& seen,
                                                                                     const OrderEvent& event);

struct EventFor {
  OrderId id;
  OrderState current;
  OrderEvent event;
  /// The order's last seq `event` was decided on (OrderSnapshot::last_seq).
  std::optional<Seq> basis{};
};

/// Appends one event for each of several orders at once, so they share the
/// log's group commits; the results come back in the order of `events`.
[[nodiscard]] boost::asio::awaitable<std::vector<eventlog::Result<AppendedEvent>>> async_append_all(
    OrderStore& store, std::vector<EventFor> events);

}  // namespace oee::core
