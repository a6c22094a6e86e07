// The subscription to every order a WebSocket client may see: the past
// from its fromSeq (at most the newest page of it), sent as the socket
// drains, then live updates after it, all in seq order. An API key sees its
// own orders only: whose each order met live is asked once of the stream
// source, which answers as the key would be answered, and what comes after
// it waits meanwhile, so seqs rise across the whole stream for every
// client and the last one received is where to resume.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "api/http/detail/ws_session_impl.h"

namespace oee::api::detail {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
// Views of finished orders kept for an API key before they are forgotten
// (a later event of one, a dead letter's retry, asks again).
constexpr std::size_t kMaxKeyViews = 50'000;
}  // namespace

boost::system::result<std::optional<eventlog::Position>, ApiError> WsSession::all_orders_from(
    const WsCommand& command) const {
  using From = std::optional<eventlog::Position>;
  const bool partitioned = ctx_.stream.partitioned();
  if (command.from_position) {
    if (!partitioned) return from_seq_error();
    auto after = parse_position(*command.from_position, true, ctx_.stream.partitions());
    if (!after) return after.error();
    return From(std::move(*after));
  }
  if (command.from_seq == 0) return From{};
  if (partitioned) return parse_position(std::to_string(command.from_seq), true, ctx_.stream.partitions()).error();
  eventlog::Position after;
  after.set(PartitionId{0}, Seq{command.from_seq - 1});
  return From(std::move(after));
}

json::value WsSession::position_json(const eventlog::Position& next) const {
  if (!next.partitioned()) return json::value(next.at(PartitionId{0}).value + 1);
  return json::value(next.next_text());
}

void WsSession::subscribe_all(std::optional<eventlog::Position> after) {
  if (!all_.on) {
    ctx_.stream.hub().subscribe_all(shared_from_this());
    all_.on = true;
  }
  // A repeated subscribe starts again from its own fromSeq.
  ++all_.subscription;
  all_.confirmed = false;
  all_.processed_part.clear();
  all_.resync_pending = false;
  all_.backlog.clear();
  all_.held.clear();
  all_.views.clear();
  if (!after) {
    ++all_.generation;  // a read still in flight is forgotten
    all_.catching_up = false;
    all_.replayed = all_.processed = ctx_.stream.hub().published();
    all_.confirmed = true;
    send_control("subscribed", json::object{{"all", true}});
    return;
  }
  all_.replayed = all_.processed = *after;
  read_all_past(*after);
}

void WsSession::unsubscribe_all() {
  if (!all_.on) return;
  ctx_.stream.hub().unsubscribe_all(this);
  const auto subscription = all_.subscription + 1, generation = all_.generation + 1;
  all_ = AllOrders{};
  all_.subscription = subscription;
  all_.generation = generation;
}

void WsSession::resync_everything() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    auto& all = self->all_;
    if (!all.on) return;
    if (all.catching_up || !all.backlog.empty()) {
      all.resync_pending = true;
      return;
    }
    self->read_all_past(all.resume());
  });
}

void WsSession::read_all_past(const eventlog::Position& from) {
  all_.catching_up = true;
  all_.resync_pending = false;
  const auto generation = ++all_.generation;
  // A gateway learns from its core whether positions go by partition.
  const auto after = from.written_as(ctx_.stream.partitioned());
  ctx_.stream.recent(after, kMaxEventPage, principal_, [self = shared_from_this(), generation, after](CatchUp result) {
    asio::post(self->ws_.get_executor(), [self, generation, after, result = std::move(result)]() mutable {
      self->on_all_past(generation, after, std::move(result));
    });
  });
}

void WsSession::on_all_past(std::uint64_t generation, const eventlog::Position& asked, CatchUp result) {
  if (!all_.on || all_.generation != generation || closing_) return;
  all_.catching_up = false;
  if (result.outcome != CatchUp::Outcome::ok) {
    if (!all_.confirmed) {
      unsubscribe_all();
      send_error(ApiError{503, std::string(ctx_.stream.unavailable_code()), result.error, "all"});
      return;
    }
    // A resync that failed (the core is unreachable): live updates wait,
    // and the past is asked for again shortly.
    all_.catching_up = true;
    after_a_second([this, subscription = all_.subscription] {
      if (all_.on && all_.subscription == subscription) read_all_past(all_.resume());
    });
    return;
  }
  // Where the past starts says whether older events were left out.
  if (!all_.confirmed) {
    all_.confirmed = true;
    send_control("subscribed", json::object{{"all", true}, {"fromSeq", position_json(result.before)}});
  } else {
    send_skipped(asked, result.before);
  }
  all_.replayed.advance(result.last);
  for (auto& u : result.updates) {
    if (!principal_.sees_everything()) {
      auto& view = all_.views[u->order];
      view.seen = KeyView::Seen::own;  // the source kept the key's own only
      view.finished = view.finished || u->terminal;
    }
    all_.backlog.push_back(std::move(u));
  }
  forget_finished_views();
  pump_all_backlog();
}

// Events between what was asked for and where the answer starts are left
// out (more than a page came meanwhile): the client is told which, as
// seqs (embedded) or p:seq lists, both ends included.
void WsSession::send_skipped(const eventlog::Position& asked, const eventlog::Position& before) {
  if (!before.partitioned()) {
    constexpr PartitionId only{0};
    if (before.at(only) <= asked.at(only)) return;
    send_control("skipped",
                 json::object{{"all", true}, {"fromSeq", asked.at(only).value + 1}, {"toSeq", before.at(only).value}});
    return;
  }
  std::string from, to;
  for (const PartitionId p : each_partition(before.size())) {
    if (before.at(p) <= asked.at(p)) continue;
    if (!from.empty()) {
      from.push_back(',');
      to.push_back(',');
    }
    from += std::to_string(p.value) + ':' + std::to_string(asked.at(p).value + 1);
    to += std::to_string(p.value) + ':' + std::to_string(before.at(p).value);
  }
  if (from.empty()) return;
  send_control("skipped", json::object{{"all", true}, {"fromSeq", from}, {"toSeq", to}});
}

// The past waits in its own line and enters the outgoing queue as the
// socket drains, a page at a time: a client asking for thousands of
// events must not look like a slow reader.
void WsSession::pump_all_backlog() {
  if (closing_) return;
  while (!all_.backlog.empty() && queue_.size() < catch_up_room()) {
    // A record passed in part is read again whole: what went is not repeated.
    if (!all_.covers(*all_.backlog.front())) send_all(all_.backlog.front());
    all_.backlog.pop_front();
  }
  if (!all_.backlog.empty() || all_.catching_up) return;
  all_.processed.advance(all_.replayed);
  if (all_.resync_pending) {
    read_all_past(all_.resume());
    return;
  }
  drain_held();
}

void WsSession::on_all_update(const std::shared_ptr<const StatusUpdate>& u) {
  if (all_.catching_up || !all_.backlog.empty() || !all_.held.empty() || !pass_on(u)) {
    if (all_.held.size() < ctx_.config.ws_queue_limit) {
      all_.held.push_back(u);
      return;
    }
    // Bounded: past the limit, drop the held ones and read them again.
    all_.held.clear();
    if (all_.catching_up || !all_.backlog.empty()) {
      all_.resync_pending = true;
    } else {
      read_all_past(all_.resume());
    }
  }
}

void WsSession::drain_held() {
  while (!all_.held.empty() && !all_.catching_up && all_.backlog.empty()) {
    if (!pass_on(all_.held.front())) return;  // its owner is being asked
    all_.held.pop_front();
  }
}

// Sends `u` or passes over it; false while whose its order is is not known.
bool WsSession::AllOrders::covers(const StatusUpdate& u) const {
  if (!processed.covers(u.partition, u.seq)) return false;
  const auto part = processed_part.find(u.partition);
  return part == processed_part.end() || part->second.seq != u.seq || u.at() <= part->second;
}

void WsSession::AllOrders::advance(const StatusUpdate& u) {
  processed.advance(u.partition, u.seq);
  if (u.ends_record) {
    processed_part.erase(u.partition);
  } else {
    processed_part[u.partition] = u.at();
  }
}

eventlog::Position WsSession::AllOrders::resume() const {
  eventlog::Position from = processed;
  for (const auto& [partition, part] : processed_part) {
    if (part.seq == from.at(partition) && part.seq.value > 0) from.set(partition, Seq{part.seq.value - 1});
  }
  return from;
}

bool WsSession::pass_on(const std::shared_ptr<const StatusUpdate>& u) {
  if (all_.covers(*u)) return true;  // came with the past, or before a live subscription
  if (principal_.sees_everything()) {
    send_all(u);
    return true;
  }
  auto [it, added] = all_.views.try_emplace(u->order);
  KeyView& view = it->second;
  if (added) {
    check_key_view(u->order, u->seq);
    return false;
  }
  switch (view.seen) {
    case KeyView::Seen::checking:
      return false;
    case KeyView::Seen::other:
      all_.advance(*u);
      break;
    case KeyView::Seen::own:
      send_all(u);
      break;
  }
  if (u->terminal && !view.finished) {
    view.finished = true;
    forget_finished_views();
  }
  return true;
}

// Only the answer matters (found for this key or not): the order's events
// themselves come live, in line.
void WsSession::check_key_view(const OrderId& order, Seq seen_at) {
  const auto subscription = all_.subscription;
  ctx_.stream.catch_up(order, Seq{seen_at.value + 1}, principal_,
                       [self = shared_from_this(), order, subscription, seen_at](CatchUp result) {
                         asio::post(self->ws_.get_executor(), [self, order, subscription, seen_at, outcome = result.outcome] {
                           self->on_key_view(order, subscription, outcome, seen_at);
                         });
                       });
}

void WsSession::on_key_view(const OrderId& order, std::uint64_t subscription, CatchUp::Outcome outcome, Seq seen_at) {
  if (!all_.on || all_.subscription != subscription || closing_) return;
  auto it = all_.views.find(order);
  if (it == all_.views.end() || it->second.seen != KeyView::Seen::checking) return;
  if (outcome == CatchUp::Outcome::unavailable) {
    // Not known whose it is (the core is unreachable): ask again shortly;
    // what comes after it waits, bounded by the held limit.
    after_a_second([this, order, seen_at, subscription] {
      if (!all_.on || all_.subscription != subscription) return;
      auto again = all_.views.find(order);
      if (again != all_.views.end() && again->second.seen == KeyView::Seen::checking) check_key_view(order, seen_at);
    });
    return;
  }
  it->second.seen = outcome == CatchUp::Outcome::ok ? KeyView::Seen::own : KeyView::Seen::other;
  drain_held();
}

void WsSession::forget_finished_views() {
  if (all_.views.size() <= kMaxKeyViews) return;
  std::erase_if(all_.views, [](const auto& entry) { return entry.second.finished; });
}

void WsSession::send_all(const std::shared_ptr<const StatusUpdate>& u) {
  all_.advance(*u);
  if (subs_.contains(u->order)) return;  // its own subscription carries it
  if (const auto e = ended_.find(u->order); e != ended_.end() && u->at() <= e->second) return;  // or carried it
  const std::string& text = dialect_ == WsDialect::compat ? u->compat_text() : u->text;
  if (text.empty()) return;  // not carried by this dialect
  // An order's end does not end a subscription to every order.
  enqueue(std::shared_ptr<const std::string>(u, &text), false);
}

}  // namespace oee::api::detail
