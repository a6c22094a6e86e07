#pragma once
// The executors of the partitions a cluster node executes: one each,
// started when the cluster hands the node a partition (its orders resumed
// first) and stopped when the cluster takes it back. A partition whose
// orders cannot be resumed is given back to the cluster and named in
// /health until it is executed again, here or elsewhere.
//
// Threads: gained() runs on the cluster's gaining thread and lost() on its
// losing thread (eventlog/jetstream/cluster.h), a partition's calls one at
// a time; everything else is called from any thread. mu_ guards the
// partitions executed, retiring and not executed; nothing is called with
// it held but the executors' own short calls (cancel, poke, idle, status).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "api/auth/key_ring.h"
#include "api/auth/rate_limit.h"
#include "api/redis/redis_publisher.h"
#include "api/server/server_options.h"
#include "core/engine/executor.h"
#include "core/engine/sim_chain.h"
#include "eventlog/jetstream/cluster.h"

namespace oee::api {

class PartitionExecutors {
 public:
  /// What every executor shares; each outlives this.
  struct Shared {
    const ServerOptions& options;
    eventlog::jetstream::Cluster& cluster;
    const KeyRing& keys;
    RateLimiter& limits;
    boost::asio::io_context& executor_ioc;
    const core::Market& market;
    core::SimChain& chain;
    core::EngineMetrics& metrics;
  };
  explicit PartitionExecutors(Shared shared);
  ~PartitionExecutors();
  PartitionExecutors(const PartitionExecutors&) = delete;
  PartitionExecutors& operator=(const PartitionExecutors&) = delete;

  /// What the cluster is started with: gained() and lost().
  [[nodiscard]] eventlog::jetstream::OwnershipListener listener();
  /// The executor of `partition` if this node executes it; shared with the
  /// caller, for the partition may move meanwhile.
  [[nodiscard]] std::shared_ptr<core::Executor> executor_of(PartitionId partition) const;
  /// A new order's id (a submit without an idempotency key): one whose
  /// partition this node executes, if it executes any and one comes within
  /// a bounded number of draws, so that its first event is stored here
  /// rather than forwarded to another node; else any.
  [[nodiscard]] OrderId new_order_id() const;
  /// Why partitions given to this node are not executed now (/health).
  [[nodiscard]] std::vector<std::string> problems() const;
  /// How publishing to Redis goes, over the `held` partitions this node holds.
  [[nodiscard]] PublisherStatus publishing(std::size_t held) const;
  /// A dead key's orders are cancelled where they are executed.
  void cancel_orders_of(const core::KeyId& key, const std::string& why);
  /// Every executor looks again at its waiting orders (the market moved).
  void poke();

 private:
  struct Executing;
  struct NotExecuted {
    std::string why;
    std::chrono::steady_clock::time_point until;  // by then it is executed again, here or elsewhere
  };
  void gained(PartitionId p, std::unique_ptr<eventlog::LogPartitionWriter> writer);
  void lost(PartitionId p);
  /// Keeps a stopped executor whose orders are still mid-step until it is idle.
  void retire(std::shared_ptr<Executing> e, bool stopped);
  void reap_retired();  // under mu_

  Shared shared_;
  mutable std::mutex mu_;
  std::map<PartitionId, std::shared_ptr<Executing>> executing_;  // under mu_
  // Given up while some of their orders were mid-step: kept until those
  // steps end, for they use the partition's store and writer.
  std::vector<std::shared_ptr<Executing>> retiring_;  // under mu_
  // Given up because their orders could not be resumed, and why.
  std::map<PartitionId, NotExecuted> not_executed_;  // under mu_
  // How often in a row each partition's resume failed (gained() only).
  std::map<PartitionId, unsigned> resume_failures_;
  // The fail-resumes fault probe (ServerOptions::FaultProbes).
  std::atomic<long> resumes_to_fail_;
};

}  // namespace oee::api
