// The owner's side of the reads other nodes ask of it (owner_read_wire.h;
// the asking side: owner_reader.h), and what a node whose fold may be
// behind learns from the stream itself: its last position, and whether
// anything but this node's own batches came after its fold.
#include <charconv>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/owner_read_pages.h"
#include "eventlog/jetstream/detail/owner_read_wire.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace owner_read_wire;

std::error_code JetStreamPartitionLog::fold_still_whole() const {
  // How long no other node answered says nothing: a successor may be
  // paused or gone. The stream says whether one stored anything.
  const auto failed = [](std::error_code ec) {
    return ec == JsErrc::not_connected ? make_error_code(Errc::unavailable) : ec;
  };
  auto state = connection_.stream_state(stream_);
  if (!state) {
    // Reaching no server at all (the whole NATS cluster down, as far as
    // this node can tell), its fold is what it can serve; a stream without
    // a leader for now is not that.
    if (state.error() == JsErrc::not_connected && !connection_.connected()) return {};
    return failed(state.error());
  }
  if (state->last == tail_seq()) return {};
  // Past what it folded: its own batches in flight, or a successor's. Each
  // batch is fenced on the one before it, so if the last is this writer's,
  // every one after its fold is too.
  auto last = connection_.get(stream_, state->last);
  if (!last) return failed(last.error());
  if (*last && written_here(**last)) return {};
  return make_error_code(Errc::no_owner);
}

bool JetStreamPartitionLog::written_here(const StoredMessage& m) const {
  const auto id = m.header("Nats-Msg-Id");
  return id.starts_with(batch_id_prefix(writer())) || id.starts_with(takeover_id_prefix(writer()));
}

std::string JetStreamPartitionLog::read_answer(const Request& request) const {
  // A paused owner whose lease ran out meanwhile may not have learnt yet
  // that another node took over: it answers from an older state, so it
  // does not answer (the asker asks again, and the new owner answers).
  if (!owned() || !lease_fresh()) return std::string(kUnowned);
  const auto what = request.header("Oee-Read");
  const auto failed = [](const std::error_code& ec) { return fmt::format("{}{}", kError, ec.message()); };
  if (what == "members") return members_answer(request);
  if (what == "snapshots") return snapshots_answer(request);
  if (what == "head") return fmt::format("{}{}", kHead, folded().value);
  const auto order = OrderId::parse(request.data);
  if (!order) return fmt::format("{}not an order id", kRefusedRead);
  // Nothing found, and the stream holds what another node stored after
  // this one's fold: it took the partition over, unknown to this node yet.
  const auto unowned_or_failed = [&](const std::error_code& ec) {
    return ec == Errc::no_owner ? std::string(kUnowned) : failed(ec);
  };
  if (what == "order") {
    const bool open = index_.contains(*order);
    auto record = read_record(*order);
    if (!record) return unowned_or_failed(record.error());
    if (!*record) return std::string(kNone);
    return fmt::format("{}{}", open ? kOpen : kFinished,
                       ::oee::eventlog::detail::encode_order_record((*record)->snapshot, (*record)->seqs));
  }
  if (what == "events") {
    const auto from = number(request.header("Oee-From"));
    if (!from) return fmt::format("{}events needs Oee-From", kRefusedRead);
    auto events = read_order(*order, Seq{*from});
    if (!events) return unowned_or_failed(events.error());
    std::string out(kEvents);
    for (const auto& r : *events) {
      const auto encoded = encode_record(r);
      put_be32(out, static_cast<std::uint32_t>(encoded.size()));
      out += encoded;
    }
    return out;
  }
  return fmt::format("{}unknown read '{}'", kRefusedRead, what);
}

std::string JetStreamPartitionLog::members_answer(const Request& request) const {
  const auto set = number(request.header("Oee-Set"));
  const auto max = number(request.header("Oee-Max"));
  if (!set || *set > 255 || !max) return fmt::format("{}members needs Oee-Set and Oee-Max", kRefusedRead);
  std::optional<OrderId> after;
  if (const auto text = request.header("Oee-After"); !text.empty()) {
    after = OrderId::parse(text);
    if (!after) return fmt::format("{}Oee-After is not an order id", kRefusedRead);
  }
  auto ids = members(static_cast<OrderSet>(*set), std::numeric_limits<std::size_t>::max());
  if (!ids) return fmt::format("{}{}", kError, ids.error().message());
  return members_page(std::move(*ids), after, *max, kMembersPage);
}

std::string JetStreamPartitionLog::snapshots_answer(const Request& request) const {
  const std::string_view data = request.data;
  if (data.empty() || data.size() % sizeof(OrderId::Bytes) != 0 ||
      data.size() / sizeof(OrderId::Bytes) > kSnapshotsPerAsk)
    return fmt::format("{}snapshots needs 1 to {} order ids of 16 bytes each", kRefusedRead, kSnapshotsPerAsk);
  auto page = snapshots_page(data, [this](const OrderId& id) { return snapshot(id); }, kPageBytes);
  if (!page) {
    // Nothing found, and the stream holds what another node stored after
    // this one's fold: it took the partition over, unknown to this node yet.
    return page.error() == Errc::no_owner ? std::string(kUnowned)
                                          : fmt::format("{}{}", kError, page.error().message());
  }
  return std::move(*page);
}

}  // namespace oee::eventlog::jetstream::detail
