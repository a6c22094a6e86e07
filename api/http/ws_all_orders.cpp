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

void WsSession::subscribe_all(std::uint64_t from_seq) {
  if (!all_.on) {
    ctx_.stream.hub().subscribe_all(shared_from_this());
    all_.on = true;
  }
  // A repeated subscribe starts again from its own fromSeq.
  ++all_.subscription;
  all_.confirmed = false;
  all_.resync_pending = false;
  all_.backlog.clear();
  all_.held.clear();
  all_.views.clear();
  if (from_seq == 0) {
    ++all_.generation;  // a read still in flight is forgotten
    all_.catching_up = false;
    all_.replayed = all_.processed = ctx_.stream.hub().published();
    all_.confirmed = true;
    send_control("subscribed", json::object{{"all", true}});
    return;
  }
  all_.replayed = all_.processed = Seq{from_seq - 1};
  read_all_past(Seq{from_seq});
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
    self->read_all_past(Seq{all.processed.value + 1});
  });
}

void WsSession::read_all_past(Seq from) {
  all_.catching_up = true;
  all_.resync_pending = false;
  const auto generation = ++all_.generation;
  ctx_.stream.recent(from, kMaxEventPage, principal_, [self = shared_from_this(), generation, from](CatchUp result) {
    asio::post(self->ws_.get_executor(), [self, generation, from, result = std::move(result)]() mutable {
      self->on_all_past(generation, from, std::move(result));
    });
  });
}

void WsSession::on_all_past(std::uint64_t generation, Seq asked, CatchUp result) {
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
      if (all_.on && all_.subscription == subscription) read_all_past(Seq{all_.processed.value + 1});
    });
    return;
  }
  // Where the past starts says whether older events were left out.
  if (!all_.confirmed) {
    all_.confirmed = true;
    send_control("subscribed", json::object{{"all", true}, {"fromSeq", result.first.value}});
  } else if (result.first > asked) {
    send_control("skipped", json::object{{"all", true}, {"fromSeq", asked.value}, {"toSeq", result.first.value - 1}});
  }
  all_.replayed = std::max(all_.replayed, result.last);
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

// The past waits in its own line and enters the outgoing queue as the
// socket drains, a page at a time: a client asking for thousands of
// events must not look like a slow reader.
void WsSession::pump_all_backlog() {
  if (closing_) return;
  while (!all_.backlog.empty() && queue_.size() < catch_up_room()) {
    send_all(all_.backlog.front());
    all_.backlog.pop_front();
  }
  if (!all_.backlog.empty() || all_.catching_up) return;
  all_.processed = std::max(all_.processed, all_.replayed);
  if (all_.resync_pending) {
    read_all_past(Seq{all_.processed.value + 1});
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
      read_all_past(Seq{all_.processed.value + 1});
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
bool WsSession::pass_on(const std::shared_ptr<const StatusUpdate>& u) {
  if (u->seq <= all_.processed) return true;  // came with the past, or before a live subscription
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
      all_.processed = std::max(all_.processed, u->seq);
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
  all_.processed = std::max(all_.processed, u->seq);
  if (subs_.contains(u->order)) return;  // its own subscription carries it
  const std::string& text = dialect_ == WsDialect::compat ? u->compat_text() : u->text;
  if (text.empty()) return;  // not carried by this dialect
  // An order's end does not end a subscription to every order.
  enqueue(std::shared_ptr<const std::string>(u, &text), false);
}

}  // namespace oee::api::detail
