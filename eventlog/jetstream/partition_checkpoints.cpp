// The partition log's checkpoints: the owner writes its open orders every
// so many events; opening a partition reads the latest and folds only the
// events after it.
//
// Stream OEE_CKPT, subject oee.ckpt.p<partition>, one checkpoint in parts
// of at most 512 KiB:
//   headers  Oee-Ckpt-Id    a fresh id per checkpoint
//            Oee-Ckpt-Seq   the partition position it holds the state after
//            Oee-Ckpt-Part  i/n
//   data     part i of:
//     blob := fixed64be(position) fixed64be(stream seq) fixed32be(sets)
//             (u8 set fixed32be(n) order(16)...)...
//             fixed32be(requests) (fixed16be(len) request fixed64be(position) order(16))...
//             index crc32c
//     requests := the writes stored lately, so that a retry that reaches the
//                 next owner finds where it landed
//     stream seq := the partition stream's seq of the batch that ends at `position`
//     index := OrderIndex::encode_checkpoint() (order_index.h)
// Once a checkpoint's last part is stored, the earlier checkpoints are
// purged; a checkpoint cut short (its writer died) is passed over.

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kCheckpointStream = "OEE_CKPT";
constexpr std::size_t kPartBytes = 512 << 10;

std::string checkpoint_subject(PartitionId partition) { return fmt::format("oee.ckpt.p{}", partition); }

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::optional<std::uint64_t> get_be(std::string_view& in, int bytes) {
  if (in.size() < static_cast<std::size_t>(bytes)) return std::nullopt;
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[static_cast<std::size_t>(i)]);
  in.remove_prefix(static_cast<std::size_t>(bytes));
  return v;
}

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

StreamSpec checkpoint_stream_spec() {
  StreamSpec spec;
  spec.name = kCheckpointStream;
  spec.subjects = {"oee.ckpt.>"};
  return spec;
}

}  // namespace

void JetStreamPartitionLog::open_from_checkpoint() {
  if (auto made = connection_.ensure_stream(checkpoint_stream_spec(), 30s); !made)
    throw std::runtime_error(fmt::format("cannot create or open stream {} in the NATS cluster: {}",
                                         kCheckpointStream, made.error().message()));
  if (auto made = connection_.ensure_stream(directory_spec(), 30s); !made)
    throw std::runtime_error(fmt::format("cannot create or open stream {} in the NATS cluster: {}",
                                         directory_spec().name, made.error().message()));
  auto loaded = patiently([&] { return load_checkpoint(); }, kOpenPatience);
  if (!loaded)
    throw std::runtime_error(fmt::format("cannot read partition {}'s checkpoint: {}", options_.partition,
                                         loaded.error().message()));
  if (!*loaded) return;
  std::lock_guard fold_lock(fold_mu_);
  apply_checkpoint(**loaded);
  opened_from_ = (*loaded)->seq;
}

void JetStreamPartitionLog::apply_checkpoint(LoadedCheckpoint& c) {
  index_.load_checkpoint(std::move(c.orders));
  sets_.replace(std::move(c.sets));
  landed_requests_.restore(std::move(c.requests));
  // What finished before the checkpoint is in the directory; what
  // finished after it is folded again from here.
  finished_.clear();
  checkpointer_->clear_finished();
  {
    std::lock_guard lock(head_mu_);
    head_.store(c.seq.value, std::memory_order_release);
  }
  tail_seq_.store(c.stream_seq.value, std::memory_order_release);
  stats_->open_orders.store(index_.size(), std::memory_order_relaxed);
}

std::error_code JetStreamPartitionLog::skip_to_checkpoint() {
  auto loaded = load_checkpoint();
  if (!loaded) return loaded.error();
  if (!*loaded || (*loaded)->stream_seq <= tail_seq()) return {};
  std::lock_guard fold_lock(fold_mu_);
  if ((*loaded)->stream_seq <= tail_seq()) return {};
  // The listeners hear each record once: what came before the checkpoint
  // first, from the stream if it did not come live.
  if (!hear_stored((*loaded)->seq)) return make_error_code(Errc::unavailable);
  spdlog::info("partition {}: taking over from the checkpoint at position {} (folded here: {})", options_.partition,
               (*loaded)->seq.value, folded().value);
  apply_checkpoint(**loaded);
  return {};
}

Result<std::optional<JetStreamPartitionLog::LoadedCheckpoint>> JetStreamPartitionLog::load_checkpoint() const {
  const auto subject = checkpoint_subject(options_.partition);
  auto messages = connection_.read(kCheckpointStream, subject, Seq{1}, std::numeric_limits<std::size_t>::max());
  if (!messages) return messages.error();
  // The last checkpoint whose every part is there, in order.
  std::optional<std::string> blob;
  std::string id, assembling;
  std::uint32_t expected = 1;
  for (const auto& m : *messages) {
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
  if (!blob) return std::optional<LoadedCheckpoint>{};

  const auto body = checked_body(*blob);
  if (!body) return make_error_code(Errc::corrupted);
  std::string_view in = *body;
  LoadedCheckpoint out;
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
    out.requests.push_back(RecentRequests::Landed{std::move(request), Seq{*position}, ::oee::eventlog::detail::order_at(in.data())});
    in.remove_prefix(16);
  }
  auto orders = ::oee::eventlog::detail::decode_checkpoint(in);
  if (!orders) return orders.error();
  out.orders = std::move(*orders);
  return std::optional<LoadedCheckpoint>(std::move(out));
}

Result<std::optional<Checkpoint>> JetStreamPartitionLog::checkpoint() const {
  auto loaded = patiently([&] { return load_checkpoint(); }, kOpenPatience);
  if (!loaded) return loaded.error();
  if (!*loaded) return std::optional<Checkpoint>{};
  return std::optional<Checkpoint>(Checkpoint{(*loaded)->seq, std::move((*loaded)->orders)});
}

void JetStreamPartitionLog::maybe_checkpoint(std::size_t events) {
  since_checkpoint_ += events;
  const auto now = Clock::now();
  if (checkpoint_due_ == Clock::time_point{}) checkpoint_due_ = now + options_.checkpoint_after;
  if (since_checkpoint_ == 0 || (since_checkpoint_ < options_.checkpoint_events && now < checkpoint_due_)) return;
  if (!owned()) return;  // the owner checkpoints; the others count on
  const Seq at = folded();  // folds are one at a time, and this is one
  std::string blob;
  put_be(blob, at.value, 8);
  put_be(blob, tail_seq().value, 8);
  const auto sets = sets_.copy();
  put_be(blob, sets.size(), 4);
  for (const auto& [set, members] : sets) {
    put_be(blob, static_cast<std::uint64_t>(set), 1);
    put_be(blob, members.size(), 4);
    for (const auto& id : members) blob.append(id.view());
  }
  auto landed = landed_requests_.kept();
  std::erase_if(landed, [](const RecentRequests::Landed& l) { return l.request.size() > 0xFFFF; });
  put_be(blob, landed.size(), 4);
  for (const auto& l : landed) {
    put_be(blob, l.request.size(), 2);
    blob += l.request;
    put_be(blob, l.position.value, 8);
    blob.append(l.order.view());
  }
  blob += index_.encode_checkpoint();
  append_crc32c(blob);
  since_checkpoint_ = 0;
  checkpoint_due_ = now + options_.checkpoint_after;
  checkpointer_->checkpoint_due(at, std::move(blob));
}

// Other nodes learn from it which finished orders they no longer need to
// keep for the directory (note_finished).
void JetStreamPartitionLog::announce_checkpoint(Seq through) {
  Queued q;
  q.command.type = kCheckpointedType;
  put_be(q.command.payload, through.value, 8);
  q.done = [](const Result<AppendOutcome>&) {};  // the next checkpoint announces again
  const auto held = ownership_.held();
  if (!held) return;
  q.ownership = held->ownership;
  q.request = next_request_id();
  append_here(q);
}

std::error_code JetStreamPartitionLog::write_checkpoint(Seq seq, const std::string& blob) {
  const auto subject = checkpoint_subject(options_.partition);
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
