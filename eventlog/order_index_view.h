#pragma once
// What the log knows of orders, apart from their events: the order index.
// Every backend keeps one beside its log (eventlog/detail/order_index.h for
// the open orders, a stored record for each finished one), updated in the
// same atomic unit as the event that changes it (event_log.h's durability
// contract), so what it answers is never ahead of or behind the events.
// Code that only looks orders up takes this view, not the log.
//
// Threading: every method is thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/errors.h"
#include "eventlog/types.h"

namespace oee::eventlog {

/// Sets of orders the log can list. `active` is the order index's open
/// orders (in memory); the others are stored, updated atomically with the
/// event that moves an order in or out of them, and only rarely written.
enum class OrderSet : std::uint8_t {
  active = 0,       // not finished: the executor's work queue
  dead_letter = 1,  // failed terminally
  api_keys = 2,     // not orders: every API key ever created, revoked or not
};

/// The order an idempotency key was first claimed for, with a fingerprint
/// of that request's body, so a replay can be told apart from a
/// conflicting reuse: what an append with a claimed key is answered
/// (AppendOutcome::existing). There is no lookup by key: a keyed order's id
/// is its key's, so the order is looked up instead.
struct IdempotencyEntry {
  OrderId order;
  std::string fingerprint;
};

struct OrderSnapshotEntry {
  Seq last_seq;
  std::string snapshot;
};

/// One order as the order index holds it: its latest snapshot and the seqs
/// of all its events, in order.
struct IndexedOrder {
  OrderId order;
  std::string snapshot;
  std::vector<Seq> seqs;
};

/// The open orders as they were after event `seq`.
struct Checkpoint {
  Seq seq;
  std::vector<IndexedOrder> orders;
};

class OrderIndexView {
 public:
  virtual ~OrderIndexView() = default;

  /// The order's latest snapshot: from memory while it is open, from its
  /// record once it finished.
  [[nodiscard]] virtual Result<std::optional<OrderSnapshotEntry>> snapshot(OrderId order) const = 0;
  [[nodiscard]] virtual Result<std::vector<OrderId>> members(OrderSet set, std::size_t max) const = 0;
  /// Several orders' latest snapshots, in the order asked (none for an id
  /// it does not hold): what a list of orders reads. A log that reads
  /// another node's orders asks for all of them at once, a page per
  /// request, not one request per order.
  [[nodiscard]] virtual Result<std::vector<std::optional<OrderSnapshotEntry>>> snapshots(
      std::span<const OrderId> orders) const;
  /// The latest stored checkpoint, and a finished order's stored record:
  /// for audits, which check them against a fresh fold.
  [[nodiscard]] virtual Result<std::optional<Checkpoint>> checkpoint() const = 0;
  [[nodiscard]] virtual Result<std::optional<IndexedOrder>> finished_record(OrderId order) const = 0;
};

}  // namespace oee::eventlog
