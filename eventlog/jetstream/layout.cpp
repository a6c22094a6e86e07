#include "eventlog/jetstream/layout.h"

#include <charconv>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream {

namespace {
constexpr std::string_view kPartitionsKey = "partitions";
}  // namespace

PartitionId partition_of(const OrderId& order, std::uint32_t partitions) {
  return PartitionId{crc32c(order.view()) % partitions};
}

std::string partition_stream(PartitionId partition) { return fmt::format("OEE_P{}", partition); }

std::string batch_subject(PartitionId partition) { return fmt::format("oee.p{}.b", partition); }

std::string shared_batch_subject(PartitionId partition) { return fmt::format("oee.p{}.s", partition); }

std::string forward_subject(PartitionId partition) { return fmt::format("oee.forward.p{}", partition); }

std::string live_subject(PartitionId partition) { return fmt::format("oee.live.p{}", partition); }

std::string read_subject(PartitionId partition) { return fmt::format("oee.read.p{}", partition); }

std::string lease_key(PartitionId partition) { return fmt::format("p{}", partition); }

std::uint32_t record_partitions(KvBucket& meta, std::uint32_t partitions) {
  const auto wanted = std::to_string(partitions);
  // A bucket just created may not take writes for a moment.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto created = meta.create(kPartitionsKey, wanted);
  while (!created && (created.error() == JsErrc::not_connected || created.error() == JsErrc::timeout) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    created = meta.create(kPartitionsKey, wanted);
  }
  if (created) return partitions;
  if (created.error() != JsErrc::exists)
    throw std::runtime_error(fmt::format("cannot record the partition count in the NATS cluster: {}",
                                         created.error().message()));
  const std::uint32_t recorded = recorded_partitions(meta);
  if (recorded != partitions)
    throw std::runtime_error(fmt::format(
        "the cluster was set up with {} partitions and this node was started with {}: start it with --partitions {} "
        "(OEE_PARTITIONS); the count is fixed once orders are in the cluster",
        recorded, partitions, recorded));
  return recorded;
}

std::string cursor_key(PartitionId partition, std::string_view name) {
  return fmt::format("cursor.p{}.{}", partition, name);
}

std::uint32_t recorded_partitions(KvBucket& meta) {
  auto entry = meta.get(kPartitionsKey);
  if (!entry)
    throw std::runtime_error(
        fmt::format("cannot read the partition count from the NATS cluster: {}", entry.error().message()));
  if (!*entry)
    throw std::runtime_error("the NATS cluster holds no oee log yet (no partition count in bucket " + meta.name() +
                             "): start an oee-server node on it first");
  const auto& text = (*entry)->value;
  std::uint32_t recorded = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), recorded);
  if (ec != std::errc{} || end != text.data() + text.size() || recorded == 0)
    throw std::runtime_error(fmt::format("the NATS cluster's partition count ('{}' in bucket {}) is not a number",
                                         text, meta.name()));
  return recorded;
}

}  // namespace oee::eventlog::jetstream
