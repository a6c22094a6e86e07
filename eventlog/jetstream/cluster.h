#pragma once
// A node of an oee cluster: its connection to NATS JetStream, every
// partition of the cluster log (each folded here up to its end at the
// opening, then, after stop_following(), only while this node owns it),
// and the leases that decide which partitions this node executes.
//
// Lifecycle: open() connects, records or checks the partition count and
// opens every partition (throws, saying what to do, if it cannot);
// start() begins taking leases; stop() gives them up so other nodes take
// over at once, and closes the partitions.
// Threading: the listener's `gained` runs on one thread of the cluster's
// and its `lost` on another: a partition's calls come one at a time, in
// the order its lease changed, but a loss of one partition may run while
// another is being gained (a loss never waits for a slow resume).
// Everything else is thread-safe.
// Ownership: the engine gets a partition's owner writer in `gained` and
// must stop appending through it when `lost` comes (its appends fail with
// JsErrc::fenced from then on anyway).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/jetstream/partition_log.h"

namespace oee::eventlog::jetstream {

struct ClusterOptions {
  ConnectOptions connect;
  /// This node's name: unique in the cluster.
  std::string node;
  /// A tool's view of the cluster (oee-projector, oee-logdump): the
  /// partition count is the one recorded (`partitions` is ignored), the
  /// name need not be unique, and start() must not be called.
  bool reader = false;
  std::uint32_t partitions = 8;
  std::chrono::milliseconds lease_ttl{std::chrono::seconds(5)};
  std::chrono::milliseconds append_timeout{std::chrono::seconds(10)};
  Fold fold{};
  /// See PartitionLogOptions.
  std::uint64_t checkpoint_events = 100'000;
  std::chrono::milliseconds checkpoint_after{std::chrono::seconds(30)};
  /// See PartitionLogOptions::check_forwarded.
  std::function<std::string(const Record&, bool begins)> check_forwarded{};
  /// See PartitionLogOptions::heard_everywhere.
  std::function<bool(std::uint8_t type, std::string_view payload, std::string_view snapshot_before)>
      heard_everywhere{};
  /// See PartitionLogOptions::lose_ack.
  std::function<bool(const AppendCommand&)> lose_ack{};
};

struct OwnershipListener {
  /// This node now executes `partition`, appending through `owner`.
  std::function<void(PartitionId partition, std::unique_ptr<LogPartitionWriter> owner)> gained;
  /// It no longer does: stop at once.
  std::function<void(PartitionId partition)> lost;
};

/// One partition as GET /api/cluster shows it.
struct PartitionView {
  PartitionId partition{};
  std::string owner;  // the lease holder's node; empty if none
  Seq last_seq;       // the partition's last position
  std::uint64_t lag_events = 0;  // not yet folded here
  bool folded_here = true;       // owned or followed (PartitionLog::folds)
  std::uint64_t refused_appends = 0;  // this node's, since it started (PartitionLog::refused_appends)
};

class Cluster {
 public:
  [[nodiscard]] static std::unique_ptr<Cluster> open(ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  void start(OwnershipListener listener);
  /// Gives up every lease (others take over at once) and closes the
  /// partitions. Idempotent.
  void stop();

  [[nodiscard]] std::uint32_t partitions() const;
  [[nodiscard]] PartitionId partition_of(const OrderId& order) const;
  [[nodiscard]] PartitionLog& partition(PartitionId p);
  [[nodiscard]] const PartitionLog& partition(PartitionId p) const;
  /// Releases `partition` (this node cannot execute it: resuming its
  /// orders failed): it stops owning it (`lost` follows) and deletes its
  /// lease at once, so another node may take it over, and takes it again
  /// itself no sooner than `pause` from now. In the cluster's words: a
  /// node *releases* a partition on purpose (this, or a fair share); it
  /// *loses* one another node took over (fenced) or whose lease ran out.
  void release(PartitionId partition, std::chrono::milliseconds pause);
  /// The partitions this node executes now.
  [[nodiscard]] std::vector<PartitionId> owned() const;
  /// From now on, each partition folds only while this node owns it
  /// (PartitionLog::stop_following): a node does not do every node's work.
  void stop_following();
  [[nodiscard]] std::vector<PartitionView> view();
  [[nodiscard]] const std::string& node() const;
  [[nodiscard]] Connection& connection();
  /// A key-value bucket of the cluster's (created if missing).
  [[nodiscard]] KvBucket bucket(const std::string& name, std::chrono::milliseconds ttl = {});

 private:
  struct Impl;
  explicit Cluster(std::shared_ptr<Impl> impl);
  // Shared with the callbacks of the partitions and the lease keeper,
  // which hold it weakly: none of them outlives stop(), which joins them.
  std::shared_ptr<Impl> impl_;
};

}  // namespace oee::eventlog::jetstream
