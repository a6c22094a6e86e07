#include "eventlog/jetstream/detail/checkpoint_store.h"

#include <charconv>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "eventlog/jetstream/detail/big_endian.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

using namespace std::chrono_literals;

constexpr auto kCheckpointStream = "OEE_CKPT";
constexpr std::size_t kPartBytes = 512 << 10;

std::string checkpoint_subject(PartitionId partition) { return fmt::format("oee.ckpt.p{}", partition); }

/// "i/n" → (i, n), 1 <= i <= n.
std::optional<std::pair<std::uint32_t, std::uint32_t>> part_of(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::uint32_t i = 0, n = 0;
  const auto a = std::from_chars(text.data(), text.data() + slash, i);
  const auto b = std::from_chars(text.data() + slash + 1, text.data() + text.size(), n);
  if (a.ec != std::errc{} || b.ec != std::errc{} || a.ptr != text.data() + slash ||
      b.ptr != text.data() + text.size() || i == 0 || i > n)
    return std::nullopt;
  return std::make_pair(i, n);
}

/// The last checkpoint whose every part is there, in order.
std::optional<std::string> last_whole(const std::vector<StoredMessage>& messages) {
  std::optional<std::string> blob;
  std::string id, assembling;
  std::uint32_t expected = 1;
  for (const auto& m : messages) {
    const auto part = part_of(m.header("Oee-Ckpt-Part"));
    if (!part) continue;
    if (part->first == 1) {
      id = std::string(m.header("Oee-Ckpt-Id"));
      assembling.clear();
      expected = 1;
    }
    if (part->first != expected || m.header("Oee-Ckpt-Id") != id) {
      expected = 0;  // a gap: this checkpoint is not whole
      continue;
    }
    assembling += m.data;
    ++expected;
    if (part->first == part->second) blob = assembling;
  }
  return blob;
}

Result<CheckpointStore::Contents> decode(std::string_view blob) {
  const auto body = checked_body(blob);
  if (!body) return make_error_code(Errc::corrupted);
  std::string_view in = *body;
  CheckpointStore::Contents out;
  const auto seq = get_be(in, 8);
  const auto stream_seq = get_be(in, 8);
  const auto sets = get_be(in, 4);
  if (!seq || !stream_seq || !sets) return make_error_code(Errc::corrupted);
  out.seq = Seq{*seq};
  out.stream_seq = Seq{*stream_seq};
  for (std::uint64_t s = 0; s < *sets; ++s) {
    const auto set = get_be(in, 1);
    const auto n = get_be(in, 4);
    if (!set || !n || in.size() < *n * 16) return make_error_code(Errc::corrupted);
    auto& members = out.sets[static_cast<OrderSet>(*set)];
    for (std::uint64_t k = 0; k < *n; ++k) {
      members.insert(::oee::eventlog::detail::order_at(in.data()));
      in.remove_prefix(16);
    }
  }
  const auto requests = get_be(in, 4);
  if (!requests) return make_error_code(Errc::corrupted);
  for (std::uint64_t k = 0; k < *requests; ++k) {
    const auto len = get_be(in, 2);
    if (!len || in.size() < *len + 8 + 16) return make_error_code(Errc::corrupted);
    std::string request(in.substr(0, *len));
    in.remove_prefix(*len);
    const auto position = get_be(in, 8);
    out.requests.push_back(
        RecentRequests::Landed{std::move(request), Seq{*position}, ::oee::eventlog::detail::order_at(in.data())});
    in.remove_prefix(16);
  }
  auto orders = ::oee::eventlog::detail::decode_checkpoint(in);
  if (!orders) return orders.error();
  out.orders = std::move(*orders);
  return out;
}

}  // namespace

void CheckpointStore::open() const {
  StreamSpec checkpoints;
  checkpoints.name = kCheckpointStream;
  checkpoints.subjects = {"oee.ckpt.>"};
  checkpoints.replicas = replicas_;
  open_stream(connection_, checkpoints);
}

Result<std::optional<CheckpointStore::Contents>> CheckpointStore::load() const {
  auto messages = connection_.read(kCheckpointStream, checkpoint_subject(partition_), Seq{1},
                                   std::numeric_limits<std::size_t>::max());
  if (!messages) return messages.error();
  const auto blob = last_whole(*messages);
  if (!blob) return std::optional<Contents>{};
  auto contents = decode(*blob);
  if (!contents) return contents.error();
  return std::optional<Contents>(std::move(*contents));
}

std::string CheckpointStore::encode(Seq seq, Seq stream_seq, const std::map<OrderSet, std::set<OrderId>>& sets,
                                    std::vector<RecentRequests::Landed> requests, std::string_view index) {
  std::string blob;
  put_be(blob, seq.value, 8);
  put_be(blob, stream_seq.value, 8);
  put_be(blob, sets.size(), 4);
  for (const auto& [set, members] : sets) {
    put_be(blob, static_cast<std::uint64_t>(set), 1);
    put_be(blob, members.size(), 4);
    for (const auto& id : members) blob.append(id.view());
  }
  std::erase_if(requests, [](const RecentRequests::Landed& l) { return l.request.size() > 0xFFFF; });
  put_be(blob, requests.size(), 4);
  for (const auto& l : requests) {
    put_be(blob, l.request.size(), 2);
    blob += l.request;
    put_be(blob, l.position.value, 8);
    blob.append(l.order.view());
  }
  blob += index;
  append_crc32c(blob);
  return blob;
}

std::error_code CheckpointStore::write(Seq seq, const std::string& blob) const {
  const auto subject = checkpoint_subject(partition_);
  const auto id = OrderId::random().str();
  const auto parts = std::max<std::size_t>(1, (blob.size() + kPartBytes - 1) / kPartBytes);
  Seq first{};
  for (std::size_t i = 0; i < parts; ++i) {
    Publish p;
    p.subject = subject;
    p.data = std::string_view(blob).substr(i * kPartBytes, kPartBytes);
    p.msg_id = fmt::format("ckpt/{}/{}", id, i + 1);
    p.headers = {{"Oee-Ckpt-Id", id},
                 {"Oee-Ckpt-Seq", std::to_string(seq.value)},
                 {"Oee-Ckpt-Part", fmt::format("{}/{}", i + 1, parts)}};
    auto ack = connection_.publish(p);
    if (!ack) return ack.error();
    if (i == 0) first = ack->seq;
  }
  return connection_.purge(kCheckpointStream, subject, first);
}

}  // namespace oee::eventlog::jetstream::detail
