#pragma once
// What a node asks of a partition's owner when its own fold may not hold
// the answer (it neither owns nor follows the partition, or it owns it
// with a lease that ran out): an order's record, its events, a set's
// members, many orders' snapshots at once, the owner's head
// (owner_read_wire.h).
//
// Threads: any reader's. A read that finds no owner asks again until its
// patience runs out, waiting on the reader's own condition, which stop()
// wakes; its mutex is a leaf.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/append_support.h"

namespace oee::eventlog::jetstream::detail {

class OwnerReader {
 public:
  /// How long a read goes on asking, and how soon it asks again after an
  /// "unowned" answer (the owner that answered has just lost the
  /// partition, or it is this node's own service).
  struct Patience {
    std::chrono::milliseconds total;
    std::chrono::milliseconds after_unowned;
  };

  OwnerReader(Connection& connection, PartitionId partition) : connection_(connection), partition_(partition) {}

  /// The order's record and whether it is open; nothing if the owner holds none.
  [[nodiscard]] Result<std::optional<std::pair<IndexedOrder, bool>>> record(const OrderId& order, Patience p) const;
  [[nodiscard]] Result<std::vector<Record>> events(const OrderId& order, Seq from, Patience p) const;
  /// A set's members, by id, a page per ask.
  [[nodiscard]] Result<std::vector<OrderId>> members(OrderSet set, std::size_t max, Patience p) const;
  /// The orders' latest snapshots, in the order asked: one ask per page.
  [[nodiscard]] Result<std::vector<std::optional<OrderSnapshotEntry>>> snapshots(std::span<const OrderId> orders,
                                                                                  Patience p) const;
  /// What the owner has folded, asked once; nothing if no owner answered.
  [[nodiscard]] std::optional<Seq> head() const;
  /// Ends the reads waiting to ask again (Errc::closed) and those to come.
  void stop();

 private:
  [[nodiscard]] Result<std::string> ask(std::string_view what, std::string data,
                                        std::vector<std::pair<std::string, std::string>> headers, Patience p) const;

  Connection& connection_;  // the cluster's, which outlives the partition log that holds this
  const PartitionId partition_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;  // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
