// Reads asked of the partition's owner: a node that neither owns nor
// follows the partition (follow_unowned false) holds no current fold of
// it, so what it is asked about an order goes to the owner, a core NATS
// request on oee.read.p<p> that the owner answers from its fold.
//
// A request: header Oee-Read names what is asked, data the order (text).
//   order    the order's record: "open <record>", "finished <record>"
//            (order_index.h's encoding) or "none"
//   events   (Oee-From: position) the order's records from there on:
//            "events " then each as fixed32 big-endian length + record_codec
//   members  (Oee-Set, Oee-Max) a set's members: "members " then 16 bytes each
//   head     the last position the owner folded: "head <position>"
// Other answers: "unowned" (not the owner: ask again), "error <why>" (the
// owner could not read it), "refused <why>" (not a read it serves).
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

namespace {

constexpr std::string_view kOpen = "open ";
constexpr std::string_view kFinished = "finished ";
constexpr std::string_view kNone = "none";
constexpr std::string_view kEvents = "events ";
constexpr std::string_view kMembers = "members ";
constexpr std::string_view kHead = "head ";
constexpr std::string_view kUnowned = "unowned";
constexpr std::string_view kError = "error ";
constexpr std::string_view kRefusedRead = "refused ";

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  if (text.empty() || std::from_chars(text.data(), text.data() + text.size(), n).ptr != text.data() + text.size())
    return std::nullopt;
  return n;
}

void put_be32(std::string& out, std::uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
}

std::optional<std::uint32_t> take_be32(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<std::uint8_t>(in[i]);
  in.remove_prefix(4);
  return n;
}

}  // namespace

Result<std::string> JetStreamPartitionLog::ask_owner(std::string_view what, std::string data,
                                                     std::vector<std::pair<std::string, std::string>> headers) const {
  const auto deadline = Clock::now() + (behind() ? options_.append_timeout : kDoubtPatience);
  Publish ask;
  ask.subject = read_subject(options_.partition);
  ask.data = data;
  ask.headers = std::move(headers);
  ask.headers.emplace_back("Oee-Read", std::string(what));
  std::error_code last = make_error_code(Errc::no_owner);
  for (;;) {
    bool unowned = false;
    auto answers = connection_.request_all(std::span(&ask, 1), std::min(kOwnerWait, left(deadline)));
    auto& answer = answers.front();
    if (answer) {
      const std::string_view text = *answer;
      if (text.starts_with(kError)) {
        spdlog::warn("partition {}: the owner could not read what was asked: {}", options_.partition,
                     text.substr(kError.size()));
        return make_error_code(Errc::unavailable);
      }
      if (text.starts_with(kRefusedRead)) return std::make_error_code(std::errc::invalid_argument);
      if (text != kUnowned) return std::move(*answer);
      last = make_error_code(Errc::no_owner);  // it has just lost the partition: its successor is asked
      unowned = true;
    } else if (answer.error() == JsErrc::not_connected) {
      return make_error_code(Errc::unavailable);
    } else if (answer.error() == JsErrc::timeout) {
      last = std::make_error_code(std::errc::timed_out);  // an owner paused or gone
    } else if (answer.error() == JsErrc::not_found) {
      last = make_error_code(Errc::no_owner);  // nobody serves the partition: a failover
    } else {
      return answer.error();
    }
    if (left(deadline) < kShortestAsk) return last;
    std::unique_lock lock(head_mu_);
    // In doubt, the answer may have been this node's own (its read service
    // is in the owners' queue group): the next try likely reaches another.
    const auto pause = unowned && !behind() ? kDoubtPoll : kOwnerPoll;
    if (idle_cv_.wait_for(lock, std::min(pause, left(deadline) - kShortestAsk),
                          [&] { return stopping_.load(std::memory_order_acquire); }))
      return make_error_code(Errc::closed);
  }
}

Result<std::optional<std::pair<IndexedOrder, bool>>> JetStreamPartitionLog::owners_record(const OrderId& order) const {
  auto answer = ask_owner("order", order.str());
  if (!answer) return answer.error();
  const std::string_view text = *answer;
  if (text == kNone) return std::optional<std::pair<IndexedOrder, bool>>{};
  const bool open = text.starts_with(kOpen);
  if (!open && !text.starts_with(kFinished)) return make_error_code(Errc::corrupted);
  auto record = ::oee::eventlog::detail::decode_order_record(order, text.substr(open ? kOpen.size() : kFinished.size()));
  if (!record) return record.error();
  return std::optional<std::pair<IndexedOrder, bool>>(std::make_pair(std::move(*record), open));
}

Result<std::vector<Record>> JetStreamPartitionLog::owners_events(const OrderId& order, Seq from) const {
  auto answer = ask_owner("events", order.str(), {{"Oee-From", std::to_string(from.value)}});
  if (!answer) return answer.error();
  std::string_view text = *answer;
  if (!text.starts_with(kEvents)) return make_error_code(Errc::corrupted);
  text.remove_prefix(kEvents.size());
  std::vector<Record> out;
  while (!text.empty()) {
    const auto size = take_be32(text);
    if (!size || *size > text.size()) return make_error_code(Errc::corrupted);
    auto record = decode_record(text.substr(0, *size));
    if (!record) return record.error();
    out.push_back(std::move(*record));
    text.remove_prefix(*size);
  }
  return out;
}

Result<std::vector<OrderId>> JetStreamPartitionLog::owners_members(OrderSet set, std::size_t max) const {
  auto answer = ask_owner("members", {},
                          {{"Oee-Set", std::to_string(static_cast<unsigned>(set))}, {"Oee-Max", std::to_string(max)}});
  if (!answer) return answer.error();
  std::string_view text = *answer;
  if (!text.starts_with(kMembers)) return make_error_code(Errc::corrupted);
  text.remove_prefix(kMembers.size());
  if (text.size() % sizeof(OrderId::Bytes) != 0) return make_error_code(Errc::corrupted);
  std::vector<OrderId> out;
  out.reserve(text.size() / sizeof(OrderId::Bytes));
  for (; !text.empty(); text.remove_prefix(sizeof(OrderId::Bytes))) {
    OrderId::Bytes bytes{};
    std::copy_n(text.data(), bytes.size(), reinterpret_cast<char*>(bytes.data()));
    out.emplace_back(bytes);
  }
  return out;
}

std::optional<Seq> JetStreamPartitionLog::owners_head() const {
  Publish ask;
  ask.subject = read_subject(options_.partition);
  ask.headers = {{"Oee-Read", "head"}};
  auto answers = connection_.request_all(std::span(&ask, 1), kOwnerWait);
  if (!answers.front()) return std::nullopt;
  const std::string_view text = *answers.front();
  if (!text.starts_with(kHead)) return std::nullopt;  // unowned: nobody to ask now
  const auto head = number(text.substr(kHead.size()));
  if (!head) return std::nullopt;
  return Seq{*head};
}

Result<Seq> JetStreamPartitionLog::stored_head() const {
  // Every message of the partition's stream is a batch, on either subject.
  auto state = connection_.stream_state(stream_);
  if (!state) return state.error();
  if (state->messages == 0) return Seq{0};
  auto last = connection_.get(stream_, state->last);
  if (!last) return last.error();
  if (!*last) return Seq{0};
  const auto holds = batch_of(**last);
  if (!holds) return make_error_code(Errc::corrupted);
  return Seq{holds->first.value + holds->second - 1};
}

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
  return id.starts_with(batch_id_prefix()) || id.starts_with(takeover_id_prefix());
}

void JetStreamPartitionLog::on_read(Request request) {
  if (request.reply.empty()) return;
  (void)connection_.respond(request.reply, read_answer(request));
}

std::string JetStreamPartitionLog::read_answer(const Request& request) const {
  // A paused owner whose lease ran out meanwhile may not have learnt yet
  // that another node took over: it answers from an older state, so it
  // does not answer (the asker asks again, and the new owner answers).
  if (!owned() || !lease_fresh()) return std::string(kUnowned);
  const auto what = request.header("Oee-Read");
  const auto failed = [](const std::error_code& ec) { return fmt::format("{}{}", kError, ec.message()); };
  if (what == "members") {
    const auto set = number(request.header("Oee-Set"));
    const auto max = number(request.header("Oee-Max"));
    if (!set || *set > 255 || !max) return fmt::format("{}members needs Oee-Set and Oee-Max", kRefusedRead);
    auto ids = members(static_cast<OrderSet>(*set), *max);
    if (!ids) return failed(ids.error());
    std::string out(kMembers);
    out.reserve(out.size() + ids->size() * sizeof(OrderId::Bytes));
    for (const auto& id : *ids) out.append(id.view());
    return out;
  }
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

}  // namespace oee::eventlog::jetstream::detail
