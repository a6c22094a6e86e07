#pragma once
// Where things live in the cluster. Key and subject grammar:
//
//   partition  := crc32c(order id's 16 bytes) mod N, for the order's life
//   stream     := OEE_P<partition>             one per partition, file-backed
//   subject    := oee.p<partition>.b             the partition's record batches
//                                                (batch_codec.h), each appended
//                                                by its owner
//              |  oee.p<partition>.s             a batch that holds a record
//                                                every node needs (an API key's,
//                                                a recurring order's)
//   forward    := oee.forward.p<partition>     writes for the owner to append
//                                              (core NATS requests, in no stream)
//   live     := oee.live.p<partition>        each batch the owner stored, as it
//                                              stored it, for the nodes that do
//                                              not fold the partition and watch
//                                              an order in it (core NATS)
//   read     := oee.read.p<partition>        a node that does not follow the
//                                              partition asks its owner for an
//                                              order's state and events
//                                              (core NATS requests)
//   finished   := stream OEE_DONE, subjects oee.done.p<partition>.part and .head:
//                 segments of finished orders, one per checkpoint (finished_segments.h)
//   market     := stream OEE_MARKET, subject oee.market: set prices and
//                 launches, applied by every node in order
//   chain      := stream OEE_CHAIN, subject oee.chain.block: the simulated
//                 chain's blocks (chain_blocks.h); oee.chain.send: transactions
//                 sent to its writer (core NATS requests, chain_writer.h)
//   buckets    := oee-meta      partitions (create-only), cursor.p<partition>.<name>, no TTL
//              |  oee-leases    p<partition>, market, chain: {node, incarnation}, TTL

#include <cstdint>
#include <stdexcept>
#include <string>

#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/position.h"  // kMaxPartitions
#include "eventlog/types.h"

namespace oee::eventlog::jetstream {

inline constexpr auto kMetaBucket = "oee-meta";
inline constexpr auto kLeaseBucket = "oee-leases";
inline constexpr auto kMarketStream = "OEE_MARKET";
inline constexpr auto kMarketSubject = "oee.market";
inline constexpr auto kMarketLease = "market";

[[nodiscard]] PartitionId partition_of(const OrderId& order, std::uint32_t partitions);
[[nodiscard]] std::string partition_stream(PartitionId partition);
/// Where the partition's record batches are stored.
[[nodiscard]] std::string batch_subject(PartitionId partition);
/// Where those that carry a record every node needs are stored instead
/// (PartitionLogOptions::heard_everywhere): every node follows this subject
/// alone of a partition it does not execute.
[[nodiscard]] std::string shared_batch_subject(PartitionId partition);
/// Where other nodes send the partition's owner the first events they are
/// asked to append (core NATS requests, outside every stream).
[[nodiscard]] std::string forward_subject(PartitionId partition);
/// Where the owner sends each batch it stored, for the nodes that do not
/// fold the partition (core NATS, outside every stream).
[[nodiscard]] std::string live_subject(PartitionId partition);
/// Where a node that does not follow the partition asks its owner what it
/// holds (core NATS requests, outside every stream).
[[nodiscard]] std::string read_subject(PartitionId partition);
[[nodiscard]] std::string lease_key(PartitionId partition);
/// Where a reader of one partition (the Redis publisher) keeps its place.
[[nodiscard]] std::string cursor_key(PartitionId partition, std::string_view name);

/// Records `partitions` in the meta bucket if the cluster has no count yet
/// and returns it; a cluster set up with another count makes it throw
/// std::runtime_error telling the operator which count to start with; so
/// does a cluster that cannot be read or written.
std::uint32_t record_partitions(KvBucket& meta, std::uint32_t partitions);
/// The count the cluster recorded, or throws std::runtime_error saying
/// there is none (no node has started on these servers) or it is unreadable.
std::uint32_t recorded_partitions(KvBucket& meta);

}  // namespace oee::eventlog::jetstream
