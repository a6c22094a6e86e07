#pragma once
// The queue of writes one thread works through (the appender's, the
// forwarder's): any thread pushes, the one thread takes them in runs, and
// once closed the thread takes what is left, then nothing.
//
// Threads: push() and close() from any; take() from the one thread. Its
// mutex guards the queue alone and is a leaf.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "eventlog/jetstream/detail/queued_write.h"

namespace oee::eventlog::jetstream::detail {

class WriteQueue {
 public:
  /// Whether `next` joins the run taken so far.
  using Joins = std::function<bool(const std::vector<QueuedWrite>& run, const QueuedWrite& next)>;

  /// Queues the write; false (it stays with the caller) once closed.
  [[nodiscard]] bool push(QueuedWrite& q);
  /// Takes no more pushes.
  void close();
  /// Waits for a write, then takes it and those behind it while `joins`
  /// says so; empty once closed and drained.
  [[nodiscard]] std::vector<QueuedWrite> take(const Joins& joins);
  /// Waits `pause` unless closed first: whether it is closed.
  [[nodiscard]] bool closed_within(std::chrono::milliseconds pause);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedWrite> queue_;  // under mu_
  bool closed_ = false;            // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
