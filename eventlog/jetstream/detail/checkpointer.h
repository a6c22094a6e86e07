#pragma once
// The owner's writes in the background, on a thread of its own
// (oee-js-ckpt): the checkpoints the fold hands it, the latest due winning,
// each after a segment of the orders that finished since the last one
// (finished_segments.h). The segment goes first: a checkpoint is written
// only once every order it no longer holds (finished before it) can be
// found in a segment.
//
// Until then it keeps those orders, and answers for them (pending()): on
// the owner, and on every node that folds the partition, for the node that
// takes the partition over next writes them again: its last owner may have
// died before it did.
//
// Threads: the fold hands it work (note_finished, forget_through,
// checkpoint_due) and the opening clears it; readers ask pending(); its
// own thread writes. Lock order: its mutex, then whatever `is_owner` takes
// (the partition's ownership); nothing is locked by its caller while it is
// called.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

class Checkpointer {
 public:
  /// What the thread calls.
  struct Writes {
    /// Whether this node owns the partition or is taking it over: only
    /// then does it write (called under the checkpointer's mutex).
    std::function<bool()> is_owner;
    std::function<std::error_code(std::vector<IndexedOrder>)> write_segment;
    std::function<std::error_code(Seq position, const std::string& blob)> write_checkpoint;
    /// The checkpoint at `position` is written.
    std::function<void(Seq position)> written;
  };

  Checkpointer(PartitionId partition, Writes writes);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// An order that finished: its record goes to the next segment.
  void note_finished(const IndexedOrder& order);
  /// The order's latest finish noted here and not yet in a segment.
  [[nodiscard]] std::optional<IndexedOrder> pending(const OrderId& order) const;
  /// The owner's checkpoint at `through` is written: what finished up to
  /// it is in a segment.
  void forget_through(Seq through);
  /// Forgets every finished order (a checkpoint was loaded instead).
  void clear_finished();
  /// The checkpoint at `position` (its encoding) is due; replaces one not
  /// written yet.
  void checkpoint_due(Seq position, std::string blob);
  /// Writes what it holds and stops the thread (the destructor does too).
  void stop();

 private:
  void run();
  void index_pending();  // under mu_

  static constexpr std::size_t kPendingWarn = 1'000'000;

  const PartitionId partition_;
  const Writes writes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::pair<Seq, std::string>> checkpoint_;  // under mu_
  std::vector<IndexedOrder> finished_;                      // in fold order; under mu_
  std::unordered_map<OrderId, std::size_t, OrderIdHash> by_id_;  // its latest in finished_; under mu_
  bool stopping_ = false;                                   // under mu_
  std::thread thread_;                                      // last: started once the rest is
};

}  // namespace oee::eventlog::jetstream::detail
