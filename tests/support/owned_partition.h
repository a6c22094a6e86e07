#pragma once
// A fresh partition of a cluster log on a 3-server NATS JetStream cluster
// that every test of the binary shares (started on first use), opened and
// taken over by this process: its owner's writer. Each one has a partition
// number of its own, so tests do not see each other's records.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/partition_log.h"
#include "nats_cluster.h"

namespace oee::testing {

class OwnedPartition {
 public:
  /// `node` names this process in the partition's takeovers; `fold` is
  /// the partition's (PartitionLogOptions::fold); `adjust` sets anything
  /// else a test needs of the options. Cursors are kept in the cluster's
  /// meta bucket.
  OwnedPartition(std::string node, eventlog::Fold fold,
                 std::function<void(eventlog::jetstream::PartitionLogOptions&)> adjust = {})
      : node_(std::move(node)), fold_(std::move(fold)), adjust_(std::move(adjust)),
        partition_{next_partition().fetch_add(1)} {
    namespace js = eventlog::jetstream;
    js::ConnectOptions c;
    c.urls = js::parse_urls(cluster().urls());
    c.name = node_;
    connection_ = js::Connection::connect(c);
    js::BucketSpec spec;
    spec.name = js::kMetaBucket;
    auto meta = js::KvBucket::open(*connection_, spec, std::chrono::seconds(20));
    if (!meta) throw std::runtime_error("meta bucket: " + meta.error().message());
    meta_ = std::move(*meta);
  }
  ~OwnedPartition() { close(); }
  OwnedPartition(const OwnedPartition&) = delete;
  OwnedPartition& operator=(const OwnedPartition&) = delete;

  /// Opens the partition (closing it first if open here), which folds what
  /// its stream holds, and takes it over.
  std::unique_ptr<eventlog::LogPartitionWriter> open() {
    close();
    eventlog::jetstream::PartitionLogOptions o;
    o.partition = partition_;
    o.node = node_;
    o.incarnation = OrderId::random().str();
    o.fold = fold_;
    o.meta = meta_;
    if (adjust_) adjust_(o);
    log_ = eventlog::jetstream::open_partition(*connection_, std::move(o));
    auto writer = log_->take_over();
    if (!writer) throw std::runtime_error("take_over: " + writer.error().message());
    return std::move(*writer);
  }
  /// Closes the partition log: the writers open() gave answer closed.
  void close() {
    if (!log_) return;
    (void)log_->close();
    log_.reset();
  }

 private:
  static NatsCluster& cluster() {
    static NatsCluster shared;
    return shared;
  }
  static std::atomic<std::uint32_t>& next_partition() {
    static std::atomic<std::uint32_t> next{0};
    return next;
  }

  std::string node_;
  eventlog::Fold fold_;
  std::function<void(eventlog::jetstream::PartitionLogOptions&)> adjust_;
  PartitionId partition_;
  std::unique_ptr<eventlog::jetstream::Connection> connection_;
  std::optional<eventlog::jetstream::KvBucket> meta_;
  std::shared_ptr<eventlog::jetstream::PartitionLog> log_;
};

}  // namespace oee::testing
