#pragma once
// The writes a node makes while another node owns the partition (or none
// does): sent to the owner, whose appender judges and stores them
// (owner_services.h serves them there). Only the owner ever appends.
//
// Threads: one of its own (oee-js-forward) takes runs of up to kPipeline
// writes from its queue and asks the owner for all of them at once; with
// no owner, or one that does not answer, it asks again with the same
// request ids until the append timeout. Once this node owns the partition
// itself, what is still open goes to its own appender. Its only lock is
// its queue's, a leaf: nothing is held while the partition log is called.

#include <cstdint>
#include <thread>
#include <vector>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/queued_write.h"
#include "eventlog/jetstream/detail/write_queue.h"

namespace oee::eventlog::jetstream::detail {

class Forwarder {
 public:
  /// What the forwarder asks of the partition log it sends for (which owns
  /// it, and stops it before anything it calls goes).
  class Log {
   public:
    virtual ~Log() = default;
    [[nodiscard]] virtual bool owned() const = 0;
    /// This node owns the partition now: its appender takes the write.
    virtual void append_here(QueuedWrite& q) = 0;
    /// Answers the write (counted as the log's).
    virtual void finish(QueuedWrite& q, Result<AppendOutcome> outcome, Clock::time_point started) = 0;
    /// Returns once this node has folded the order past `basis`, or at `deadline`.
    virtual void wait_for_order_past(const OrderId& order, Seq basis, Clock::time_point deadline) const = 0;
  };

  Forwarder(Connection& connection, PartitionId partition, std::chrono::milliseconds append_timeout, Log& log);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Queues the write; false (it stays with the caller) once stopping.
  [[nodiscard]] bool send(QueuedWrite& q) { return queue_.push(q); }
  /// Ends what is queued (a write still open then: closed, or unknown if
  /// it may have been stored) and joins the thread.
  void stop();
  /// Writes sent to an owner so far.
  [[nodiscard]] std::uint64_t forwarded() const { return forwarded_.load(std::memory_order_relaxed); }

 private:
  void run();
  /// Sends the run to the owner together and waits for its answers.
  void forward(std::vector<QueuedWrite>& run);
  [[nodiscard]] Publish request_of(const QueuedWrite& q, std::string_view data) const;

  Connection& connection_;
  const PartitionId partition_;
  const std::chrono::milliseconds append_timeout_;
  Log& log_;
  std::atomic<std::uint64_t> forwarded_{0};
  WriteQueue queue_;     // its own lock
  std::thread thread_;  // last: started once the rest is
};

}  // namespace oee::eventlog::jetstream::detail
