#pragma once
// What the partition's owner serves other nodes while it owns the
// partition: their writes (forward_wire.h; the asking side: forwarder.h)
// and their reads (owner_read_wire.h; the asking side: owner_reader.h).
// A forward is parsed and checked here, then handed to the owner's
// appender through Owner; a read is answered by Owner.
//
// Threads: each service's handler runs on a NATS thread of its own. start()
// and stop() run on the thread that takes the partition over or loses it
// (the appender's fold, the cluster's ownership threads). Its mutex guards
// the two services alone; stop() destroys them under it, which waits for
// their handlers, so a handler must never wait for a lock held by a caller
// of stop() (the partition log's fold lock): handlers take only leaf locks
// and the appender's queue.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/burst_counter.h"
#include "eventlog/jetstream/detail/queued_write.h"

namespace oee::eventlog::jetstream::detail {

class OwnerServices {
 public:
  /// What the services ask of the partition log that owns them (and stops
  /// them before it goes).
  class Owner {
   public:
    virtual ~Owner() = default;
    /// Stores another node's write in the ownership held now; without one,
    /// answers it Errc::unavailable (the asker asks again elsewhere).
    virtual void store_forwarded(QueuedWrite& q) = 0;
    /// The answer to another node's read.
    [[nodiscard]] virtual std::string read_answer(const Request& request) const = 0;
  };
  /// Why a forwarded event is not one the path may carry, or "".
  using CheckForwarded = std::function<std::string(const Record& record, bool begins)>;

  OwnerServices(Connection& connection, PartitionId partition, CheckForwarded check, Owner& owner);
  ~OwnerServices() { close(); }
  OwnerServices(const OwnerServices&) = delete;
  OwnerServices& operator=(const OwnerServices&) = delete;

  /// Serves other nodes (again); a service that cannot start is said and
  /// left off: their writes and reads then wait for an owner that serves.
  void start();
  /// Serves no more: once this returns, no request is being served.
  void stop();
  /// Stops for good: a start() after this (a takeover racing the log's
  /// close) serves nothing.
  void close();
  /// Forwards refused as not what the path may carry.
  [[nodiscard]] std::uint64_t refused() const { return refused_.total(); }
  /// Reads answered for other nodes: one per request, a page of many
  /// orders counting once.
  [[nodiscard]] std::uint64_t answered_reads() const { return answered_reads_.load(std::memory_order_relaxed); }

 private:
  void on_forwarded(Request request);
  void on_read(const Request& request);

  Connection& connection_;  // the cluster's; it closes the log, and so this, first
  const PartitionId partition_;
  const CheckForwarded check_;
  Owner& owner_;  // the partition log, which owns this
  BurstCounter refused_;
  std::atomic<std::uint64_t> answered_reads_{0};
  std::mutex mu_;
  std::unique_ptr<Service> forwards_;  // under mu_
  std::unique_ptr<Service> reads_;     // under mu_
  bool closed_ = false;                // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
