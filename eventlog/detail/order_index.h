#pragma once
// The order index: every open order's latest snapshot and the seqs of its
// events, in memory. The log's writer thread is its only writer; any
// thread reads it. Also the encodings of what is stored of it: checkpoints
// and finished-order records.
//
//   record     := varint(len) snapshot varint(n) varint(first seq) varint(delta)... crc32c
//   checkpoint := varint(count) (order(16) varint(len) snapshot varint(n) varints...)... crc32c
//
// crc32c is fixed32 little-endian over everything before it.

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::detail {

/// The order whose 16 bytes (OrderId::view()) start at `bytes`: in keys and
/// values of the log's families.
[[nodiscard]] OrderId order_at(const char* bytes);

[[nodiscard]] std::string encode_order_record(std::string_view snapshot, const std::vector<Seq>& seqs);
/// Errc::corrupted when the checksum or the layout is wrong.
[[nodiscard]] Result<IndexedOrder> decode_order_record(const OrderId& order, std::string_view value);

class OrderIndex {
 public:
  struct Entry {
    std::string snapshot;
    std::vector<Seq> seqs;
  };
  /// One event's change, staged by the writer and applied once durable.
  struct Update {
    OrderId order;
    Seq seq;
    std::string snapshot;
    bool finishes = false;
    /// What it had before, when it was not open (a finished order's record):
    /// it opens again with those seqs, and that snapshot if this event
    /// brings none.
    std::optional<Entry> reopened;
  };

  // Any thread.
  [[nodiscard]] std::optional<OrderSnapshotEntry> snapshot(const OrderId& order) const;
  [[nodiscard]] std::optional<std::vector<Seq>> seqs(const OrderId& order) const;
  /// An open order's snapshot (empty if no event gave one) and seqs, read together.
  [[nodiscard]] std::optional<IndexedOrder> open_order(const OrderId& order) const;
  [[nodiscard]] bool contains(const OrderId& order) const;
  [[nodiscard]] std::vector<OrderId> ids(std::size_t max) const;
  [[nodiscard]] std::size_t size() const;

  // The writer thread only (it reads without the lock: it is the only writer).
  [[nodiscard]] const Entry* find(const OrderId& order) const;
  /// Returns how many orders are open after them.
  std::size_t apply(std::span<Update> updates);
  [[nodiscard]] std::string encode_checkpoint() const;
  void load_checkpoint(std::vector<IndexedOrder> orders);

 private:
  mutable std::mutex mu_;
  std::unordered_map<OrderId, Entry, OrderIdHash> open_;
};

/// Errc::corrupted when the checksum or the layout is wrong.
[[nodiscard]] Result<std::vector<IndexedOrder>> decode_checkpoint(std::string_view value);

}  // namespace oee::eventlog::detail
