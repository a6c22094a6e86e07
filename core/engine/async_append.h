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

struct EventFor {
  OrderId id;
  OrderState current;
  OrderEvent event;
};

/// Appends one event for each of several orders at once, so they share the
/// log's group commits; the results come back in the order of `events`.
[[nodiscard]] boost::asio::awaitable<std::vector<eventlog::Result<AppendedEvent>>> async_append_all(
    OrderStore& store, std::vector<EventFor> events);

}  // namespace oee::core
