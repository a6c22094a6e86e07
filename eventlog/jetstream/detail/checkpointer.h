#pragma once
// The owner's writes in the background, on a thread of its own
// (oee-js-ckpt): the records of orders that finished, to the directory of
// finished orders, and the checkpoints the fold hands it, the latest due
// winning. The directory goes first: a checkpoint is written only once
// every order it no longer holds (finished before it) can be found there.
//
// Every node keeps the orders finished since the owner's last checkpoint,
// for the node that takes the partition over next writes them again: its
// last owner may have died before it did.
//
// Threads: the fold hands it work (note_finished, forget_through,
// checkpoint_due) and the opening clears it; its own thread writes. Lock
// order: its mutex, then whatever `is_owner` takes (the partition's
// ownership); nothing is locked by its caller while it is called.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
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
    std::function<std::error_code(std::vector<IndexedOrder>&)> write_directory;
    std::function<std::error_code(Seq position, const std::string& blob)> write_checkpoint;
    /// The checkpoint at `position` is written.
    std::function<void(Seq position)> written;
  };

  Checkpointer(PartitionId partition, Writes writes);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// An order that finished: its record goes to the directory.
  void note_finished(const IndexedOrder& order);
  /// The owner's checkpoint at `through` is written: what finished up to
  /// it is in the directory.
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

  static constexpr std::size_t kDirectoryFlushAt = 64;
  static constexpr std::size_t kDirectoryPendingWarn = 1'000'000;
  static constexpr std::chrono::milliseconds kDirectoryEvery{200};

  const PartitionId partition_;
  const Writes writes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::pair<Seq, std::string>> checkpoint_;  // under mu_
  std::vector<IndexedOrder> finished_;                      // in fold order; under mu_
  bool stopping_ = false;                                   // under mu_
  std::thread thread_;                                      // last: started once the rest is
};

}  // namespace oee::eventlog::jetstream::detail
