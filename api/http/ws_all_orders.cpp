// The subscription to every order a WebSocket client may see: the past
// from its fromSeq (at most the newest page of it), sent as the socket
// drains, then live updates after it by seq. An API key sees its own
// orders only: each order met live is checked once through the stream
// source, which answers as the key would be answered.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "api/http/detail/ws_session_impl.h"

namespace oee::api::detail {

namespace asio = boost::asio;
namespace json = boost::json;

void WsSession::subscribe_all(std::uint64_t from_seq) {
  if (!all_.on) {
    ctx_.stream.hub().subscribe_all(shared_from_this());
    all_.on = true;
  }
  // A repeated subscribe starts again from its own fromSeq.
  all_.backlog.clear();
  all_.held.clear();
  all_.views.clear();
  all_.resync_pending = false;
  all_.sent = Seq{0};
  if (from_seq == 0) {
    ++all_.generation;  // a read still in flight is forgotten
    all_.catching_up = false;
    all_.replayed = ctx_.stream.hub().published();
    send_control("subscribed", json::object{{"all", true}});
    return;
  }
  read_all_past(Seq{from_seq});
}

void WsSession::unsubscribe_all() {
  if (!all_.on) return;
  ctx_.stream.hub().unsubscribe_all(this);
  const auto generation = all_.generation + 1;
  all_ = AllOrders{};
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
    self->read_all_past(Seq{all.sent.value + 1});
  });
}

void WsSession::read_all_past(Seq from) {
  all_.catching_up = true;
  all_.resync_pending = false;
  const auto generation = ++all_.generation;
  ctx_.stream.recent(from, kMaxEventPage, principal_, [self = shared_from_this(), generation](CatchUp result) {
    asio::post(self->ws_.get_executor(), [self, generation, result = std::move(result)]() mutable {
      self->on_all_past(generation, std::move(result));
    });
  });
}

void WsSession::on_all_past(std::uint64_t generation, CatchUp result) {
  if (!all_.on || all_.generation != generation || closing_) return;
  all_.catching_up = false;
  if (result.outcome != CatchUp::Outcome::ok) {
    unsubscribe_all();
    send_error(ApiError{503, std::string(ctx_.stream.unavailable_code()), result.error, "all"});
    return;
  }
  // The first seq sent says whether older events were left out.
  if (all_.sent.value == 0) send_control("subscribed", json::object{{"all", true}, {"fromSeq", result.first.value}});
  all_.replayed = std::max(all_.replayed, result.last);
  for (auto& u : result.updates) {
    if (!principal_.sees_everything()) {
      auto& view = all_.views[u->order];
      view.seen = KeyView::Seen::own;  // the source kept the key's own only
      view.last = std::max(view.last, u->seq);
    }
    all_.backlog.push_back(std::move(u));
  }
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
  if (all_.resync_pending) {
    read_all_past(Seq{all_.sent.value + 1});
    return;
  }
  auto held = std::move(all_.held);
  all_.held.clear();
  for (const auto& u : held) on_all_update(u);
}

void WsSession::on_all_update(const std::shared_ptr<const StatusUpdate>& u) {
  if (all_.catching_up || !all_.backlog.empty()) {
    // Bounded: past the limit, drop the held ones and read them again.
    if (all_.held.size() < ctx_.config.ws_queue_limit) {
      all_.held.push_back(u);
    } else {
      all_.held.clear();
      all_.resync_pending = true;
    }
    return;
  }
  if (u->seq <= all_.replayed) return;  // came with the past
  if (principal_.sees_everything()) {
    if (u->seq > all_.sent) send_all(u);
    return;
  }
  auto [it, added] = all_.views.try_emplace(u->order);
  KeyView& view = it->second;
  if (added) {
    view.last = all_.replayed;
    view.held.push_back(u);
    check_key_view(u->order);
    return;
  }
  switch (view.seen) {
    case KeyView::Seen::checking:
      if (view.held.size() < ctx_.config.ws_queue_limit) view.held.push_back(u);
      return;
    case KeyView::Seen::other:
      break;
    case KeyView::Seen::own:
      if (u->seq > view.last) {
        view.last = u->seq;
        send_all(u);
      }
      break;
  }
  if (u->terminal) all_.views.erase(it);  // a later event (a retry) asks again
}

void WsSession::check_key_view(const OrderId& order) {
  const auto generation = all_.generation;
  ctx_.stream.catch_up(order, Seq{all_.replayed.value + 1}, principal_,
                       [self = shared_from_this(), order, generation](CatchUp result) {
                         asio::post(self->ws_.get_executor(), [self, order, generation, result = std::move(result)] {
                           self->on_key_view(order, generation, result);
                         });
                       });
}

void WsSession::on_key_view(const OrderId& order, std::uint64_t generation, CatchUp result) {
  if (!all_.on || all_.generation != generation || closing_) return;
  auto it = all_.views.find(order);
  if (it == all_.views.end() || it->second.seen != KeyView::Seen::checking) return;
  KeyView& view = it->second;
  auto held = std::move(view.held);
  view.held.clear();
  if (result.outcome == CatchUp::Outcome::unavailable) {
    // Not known whose it is: the next update asks again; the client can
    // read what it missed from the order's events.
    all_.views.erase(it);
    return;
  }
  if (result.outcome == CatchUp::Outcome::not_found) {
    view.seen = KeyView::Seen::other;
  } else {
    view.seen = KeyView::Seen::own;
    for (const auto& u : result.updates) {
      if (u->seq > view.last) {
        view.last = u->seq;
        send_all(u);
      }
    }
  }
  bool terminal = false;
  for (const auto& u : held) {
    terminal = terminal || u->terminal;
    if (view.seen == KeyView::Seen::own && u->seq > view.last) {
      view.last = u->seq;
      send_all(u);
    }
  }
  if (terminal) all_.views.erase(order);
}

void WsSession::send_all(const std::shared_ptr<const StatusUpdate>& u) {
  all_.sent = std::max(all_.sent, u->seq);
  const std::string& text = dialect_ == WsDialect::compat ? u->compat_text() : u->text;
  if (text.empty()) return;  // not carried by this dialect
  // An order's end does not end a subscription to every order.
  enqueue(std::shared_ptr<const std::string>(u, &text), false);
}

}  // namespace oee::api::detail
