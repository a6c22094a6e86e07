// The directory of finished orders: where a finished order's state and
// positions are found once it has left the finished cache (a GET of an old
// order, an idempotency key used again, an order opened again by a retry).
//
// Stream OEE_FINISHED, subject oee.finished.p<partition>.<order uuid>, one
// message per finish (an order opened again and finished again has two):
//   data     order_index.h's order record (snapshot, positions)
//   msg id   <order>@<last position>
// The partition's owner writes the orders it folds finishing, a few at a
// time on its checkpoint thread, and all of them before a checkpoint that
// covers them: a new owner, which folds what came after the checkpoint,
// writes those again (the same records).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream::detail {

namespace {

using namespace std::chrono_literals;

constexpr auto kDirectoryStream = "OEE_FINISHED";

std::string directory_subject(PartitionId partition, const OrderId& order) {
  return fmt::format("oee.finished.p{}.{}", partition, order.str());
}

}  // namespace

StreamSpec JetStreamPartitionLog::directory_spec() const {
  StreamSpec spec;
  spec.name = kDirectoryStream;
  spec.subjects = {"oee.finished.>"};
  spec.replicas = options_.replicas;
  return spec;
}

Result<std::optional<IndexedOrder>> JetStreamPartitionLog::directory_find(const OrderId& order) const {
  const auto subject = directory_subject(options_.partition, order);
  std::optional<IndexedOrder> latest;
  for (Seq from{1};;) {
    auto m = connection_.next_on_subject(kDirectoryStream, subject, from);
    if (!m) return m.error();
    if (!*m) break;
    auto record = ::oee::eventlog::detail::decode_order_record(order, (*m)->data);
    if (!record) return record.error();
    if (!record->seqs.empty() && (!latest || latest->seqs.back() < record->seqs.back())) latest = std::move(*record);
    from = (*m)->seq.next();
  }
  return latest;
}

void JetStreamPartitionLog::fold_checkpointed(const Record& r) {
  if (r.payload.size() != 8) {
    spdlog::error("partition {}: the Checkpointed record at position {} does not decode", options_.partition, r.seq.value);
    return;
  }
  std::uint64_t through = 0;
  for (const char c : r.payload) through = (through << 8) | static_cast<std::uint8_t>(c);
  checkpointer_->forget_through(Seq{through});
}

std::error_code JetStreamPartitionLog::write_directory(std::vector<IndexedOrder>& orders) {
  std::vector<std::string> data;
  std::vector<Publish> publishes;
  data.reserve(orders.size());
  publishes.reserve(orders.size());
  for (const auto& o : orders) {
    data.push_back(::oee::eventlog::detail::encode_order_record(o.snapshot, o.seqs));
    Publish p;
    p.subject = directory_subject(options_.partition, o.order);
    p.data = data.back();
    p.msg_id = fmt::format("{}@{}", o.order.str(), o.seqs.back().value);
    publishes.push_back(std::move(p));
  }
  const auto acks = connection_.publish_all(publishes, kPublishWait);
  for (const auto& ack : acks)
    if (!ack) return ack.error();
  return {};
}

}  // namespace oee::eventlog::jetstream::detail
