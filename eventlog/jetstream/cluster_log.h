#pragma once
// The cluster's partitions as one EventLogWriter, for what a node is asked
// by order: an append, an order's events and state go to the order's
// partition; the sets are the union of every partition's; the listeners
// hear every partition's commits. So the parts of the engine that work on
// one order at a time run unchanged on a cluster node.
//
// Positions: an event's seq is its partition's, and seqs of different
// partitions do not compare. head() counts the events folded here over all
// partitions (it only grows, for lags). It is no LogPartitionReader: what
// reads in position order (read(), read_raw(), cursors) goes partition by
// partition (partition(p)).
//
// Threading: as the partitions'; listeners are called one at a time, each
// partition's records in seq order. Lifecycle: over a Cluster that
// outlives it; close() leaves the partitions to the Cluster.

#include <memory>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/cluster.h"

namespace oee::eventlog::jetstream {

[[nodiscard]] std::unique_ptr<EventLogWriter> open_cluster_log(Cluster& cluster);

}  // namespace oee::eventlog::jetstream
