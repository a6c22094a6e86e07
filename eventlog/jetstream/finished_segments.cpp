#include "eventlog/jetstream/detail/finished_segments.h"

#include <stdexcept>

#include <fmt/format.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream::detail {

namespace {


constexpr auto kSegmentStream = "OEE_DONE";
// Where clusters before segments kept a message per finished order.
constexpr auto kDirectoryStream = "OEE_FINISHED";

}  // namespace

FinishedSegments::FinishedSegments(Connection& connection, PartitionId partition, int replicas)
    : connection_(connection),
      partition_(partition),
      replicas_(replicas),
      part_subject_(fmt::format("oee.done.p{}.part", partition)),
      head_subject_(fmt::format("oee.done.p{}.head", partition)) {}

void FinishedSegments::open() const {
  if (auto old = connection_.stream_state(kDirectoryStream); old && old->messages > 0)
    throw std::runtime_error(fmt::format(
        "the NATS cluster keeps finished orders in stream {} (a message per order, the format before segments), "
        "which this build does not read: start it on servers of its own, or remove the old log's streams (OEE_P*, "
        "OEE_CKPT, OEE_CHAIN, {}) and buckets (oee-meta, oee-leases, oee-chain)",
        kDirectoryStream, kDirectoryStream));
  StreamSpec spec;
  spec.name = kSegmentStream;
  spec.subjects = {"oee.done.>"};
  spec.replicas = replicas_;
  open_stream(connection_, spec);
}

std::error_code FinishedSegments::write(std::vector<IndexedOrder> orders) const {
  auto parts = encode_segment(std::move(orders));
  if (parts.empty()) return {};
  std::vector<Publish> publishes(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    publishes[i].subject = part_subject_;
    publishes[i].data = parts[i].data;
  }
  const auto stored = connection_.publish_all(publishes, kPublishWait);
  std::vector<std::string> heads;
  heads.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!stored[i]) return stored[i].error();
    parts[i].head.part_seq = stored[i]->seq;
    heads.push_back(encode_head(parts[i].head));
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    publishes[i].subject = head_subject_;
    publishes[i].data = heads[i];
  }
  for (const auto& ack : connection_.publish_all(publishes, kPublishWait))
    if (!ack) return ack.error();
  return {};
}

std::error_code FinishedSegments::read_new_heads() const {
  for (;;) {
    auto m = connection_.next_on_subject(kSegmentStream, head_subject_, next_head_);
    if (!m) return m.error();
    if (!*m) return {};
    auto head = decode_head((*m)->data);
    if (!head) return head.error();
    next_head_ = (*m)->seq.next();
    std::lock_guard lock(mu_);
    heads_.push_back(std::move(*head));
  }
}

Result<std::shared_ptr<const SegmentPart>> FinishedSegments::part_at(Seq seq) const {
  {
    std::lock_guard lock(mu_);
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->first != seq) continue;
      kept_.splice(kept_.begin(), kept_, it);
      return kept_.front().second;
    }
  }
  auto m = connection_.get(kSegmentStream, seq);
  if (!m) return m.error();
  if (!*m || (*m)->subject != part_subject_) return make_error_code(Errc::corrupted);  // a head names its part
  auto part = SegmentPart::decode(std::move((*m)->data));
  if (!part) return part.error();
  auto shared = std::make_shared<const SegmentPart>(std::move(*part));
  std::lock_guard lock(mu_);
  kept_.emplace_front(seq, shared);
  if (kept_.size() > kPartsKept) kept_.pop_back();
  return shared;
}

Result<std::optional<IndexedOrder>> FinishedSegments::find(const OrderId& order) const {
  {
    std::lock_guard refresh(refresh_mu_);
    if (const auto ec = read_new_heads()) return ec;
  }
  std::vector<Seq> candidates;
  {
    std::lock_guard lock(mu_);
    for (const auto& head : heads_)
      if (head.may_hold(order)) candidates.push_back(head.part_seq);
  }
  std::optional<IndexedOrder> latest;
  for (const Seq seq : candidates) {
    auto part = part_at(seq);
    if (!part) return part.error();
    auto found = (*part)->find(order);
    if (!found) return found.error();
    if (*found && !(*found)->seqs.empty() && (!latest || latest->seqs.back() < (*found)->seqs.back()))
      latest = std::move(*found);
  }
  return latest;
}

std::size_t FinishedSegments::parts_known() const {
  std::lock_guard lock(mu_);
  return heads_.size();
}

}  // namespace oee::eventlog::jetstream::detail
