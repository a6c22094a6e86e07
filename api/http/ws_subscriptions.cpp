// What a WebSocket session's frames carry: its subscriptions, each order's
// past caught up in line with the socket's pace, and live updates merged
// after it by seq.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "api/http/detail/ws_session_impl.h"
#include "api/http/ws_command.h"
#include "core/wire/compat_message.h"

namespace oee::api::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

void WsSession::deliver(std::shared_ptr<const StatusUpdate> update) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), update = std::move(update)] { self->on_update(update); });
}

void WsSession::resync(const OrderId& order) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), order] {
    auto it = self->subs_.find(order);
    if (it == self->subs_.end()) return;
    if (it->second.catching_up) {
      it->second.resync_pending = true;
    } else {
      self->start_catch_up(order, it->second);
    }
  });
}

void WsSession::on_message(const std::string& text) {
  if (closing_) return;  // closed for its key's revocation or expiry, or a slow reader: nothing more is taken
  auto command = parse_ws_command(text, protocol_ == WsProtocol::bare_id);
  // Every frame but a submit (paid from the write bucket) is a read: a ping,
  // a subscription, an unsubscribe, one that does not parse.
  const bool submits = command && command->kind == WsCommand::Kind::submit;
  const bool names_order = command && command->kind != WsCommand::Kind::ping && !command->all;
  if (!submits && !within_read_limit(names_order ? command->order.str() : std::string())) return;
  if (!command) {
    send_error(command.error().error, {}, command.error().request_id);
    return;
  }
  switch (command->kind) {
    case WsCommand::Kind::ping:
      send_control("pong");
      return;
    case WsCommand::Kind::submit:
      submit(std::move(*command));
      return;
    case WsCommand::Kind::unsubscribe:
      if (command->all) {
        unsubscribe_all();
        send_control("unsubscribed", json::object{{"all", true}});
        return;
      }
      unsubscribe(command->order);
      send_control("unsubscribed", json::object{{"orderId", command->order.str()}});
      return;
    case WsCommand::Kind::subscribe:
      if (command->all) {
        auto from = all_orders_from(*command);
        if (!from) {
          send_error(from.error());
          return;
        }
        subscribe_all(*from);
        return;
      }
      subscribe(command->order, command->from_seq);
      return;
  }
}

// A frame is a read, paid from the key's read bucket like a GET of the
// order's events: an open socket is no way around the key's limit. A flood
// costs one 429, not an answer per frame.
bool WsSession::within_read_limit(std::string_view order) {
  if (principal_.kind != Principal::Kind::key) return true;
  const auto d = ctx_.limits.key(principal_.key, RateLimiter::Kind::reads, principal_.rate_limit,
                                 std::chrono::steady_clock::now());
  if (d.allowed) {
    told_rate_limited_ = false;
    return true;
  }
  if (told_rate_limited_) return false;
  told_rate_limited_ = true;
  send_error(ApiError{429, "rate_limited",
                      "too many requests: send again in " + std::to_string(d.retry_after_s) +
                          " s (frames sent until then are dropped unanswered)",
                      ""},
             order);
  return false;
}

void WsSession::unsubscribe(const OrderId& id) {
  ctx_.stream.hub().unsubscribe(id, this);
  subs_.erase(id);
}

void WsSession::subscribe(const OrderId& id, std::uint64_t from_seq, bool announced) {
  auto it = subs_.find(id);
  if (it == subs_.end()) {
    if (subs_.size() >= ctx_.config.ws_subscriptions_limit) {
      send_error(ApiError{400, "too_many_subscriptions",
                          "at most " + std::to_string(ctx_.config.ws_subscriptions_limit) +
                              " subscriptions per socket: each ends with its order; unsubscribe from some first",
                          ""},
                 id.str());
      return;
    }
    ctx_.stream.hub().subscribe(id, shared_from_this());
    it = subs_.emplace(id, Subscription{}).first;
    ended_.erase(id);
  }
  // A repeated subscribe restarts the stream from its own fromSeq.
  Subscription& sub = it->second;
  sub.last = MessageAt{Seq{from_seq == 0 ? 0 : from_seq - 1}, kEveryRank};
  sub.from_seq = from_seq;
  sub.confirmed = announced;
  sub.held.clear();
  start_catch_up(id, sub);
}

// A subscription's past is read as the socket drains: a burst of
// subscriptions (a client following a thousand finished orders at once)
// would otherwise put every order's past in the outgoing queue together
// and be dropped as a slow consumer however fast it reads. So catch-ups
// wait in line, a few at a time, until the queue has room for them.
void WsSession::start_catch_up(const OrderId& id, Subscription& sub) {
  sub.catching_up = true;
  sub.resync_pending = false;
  ++sub.generation;
  if (!sub.in_line) {
    sub.in_line = true;
    catch_up_line_.push_back(id);
  }
  pump_catch_ups();
}

void WsSession::pump_catch_ups() {
  if (closing_) return;
  while (catch_ups_running_ < kConcurrentCatchUps && queue_.size() < catch_up_room() && !catch_up_line_.empty()) {
    const OrderId id = catch_up_line_.front();
    catch_up_line_.pop_front();
    auto it = subs_.find(id);
    if (it == subs_.end() || !it->second.in_line) continue;  // unsubscribed since
    it->second.in_line = false;
    const std::uint64_t generation = it->second.generation;
    ++catch_ups_running_;
    ctx_.stream.catch_up(
        id, resume_from(it->second.last), principal_, [self = shared_from_this(), id, generation](CatchUp result) {
          asio::post(self->ws_.get_executor(), [self, id, generation, result = std::move(result)]() mutable {
            --self->catch_ups_running_;
            self->on_catch_up(id, generation, std::move(result));
            self->pump_catch_ups();
          });
        });
  }
}

// Catch-ups start while the outgoing queue is below a quarter of the
// slow-consumer limit, which leaves room for every order's past and the
// live updates that arrive meanwhile.
std::size_t WsSession::catch_up_room() const { return std::max<std::size_t>(1, ctx_.config.ws_queue_limit / 4); }

void WsSession::on_catch_up(const OrderId& id, std::uint64_t generation, CatchUp result) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.generation != generation || closing_) return;
  Subscription& sub = it->second;
  if (result.outcome != CatchUp::Outcome::ok) {
    if (sub.confirmed) {
      retry_catch_up_later(id, generation);
      return;
    }
    const bool missing = result.outcome == CatchUp::Outcome::not_found;
    unsubscribe(id);
    send_error(ApiError{missing ? 404 : 503, std::string(missing ? "not_found" : ctx_.stream.unavailable_code()),
                        result.error, "orderId"},
               id.str());
    if (protocol_ == WsProtocol::fixed) closing_ = true;
    return;
  }
  if (!sub.confirmed) {
    sub.confirmed = true;
    send_control("subscribed", json::object{{"orderId", id.str()}, {"fromSeq", sub.from_seq}});
  }
  for (const auto& u : result.updates) send_if_new(sub, u);
  for (const auto& u : sub.held) send_if_new(sub, u);
  sub.held.clear();
  sub.catching_up = false;
  if (sub.resync_pending) {
    start_catch_up(id, sub);
    return;
  }
  end_if_finished(id);
}

void WsSession::end_if_finished(const OrderId& id) {
  const auto it = subs_.find(id);
  if (it == subs_.end() || !it->second.finished() || it->second.catching_up) return;
  const MessageAt last = it->second.last;
  unsubscribe(id);
  ended_[id] = last;
  ended_in_order_.emplace_back(id, last);
  if (ended_in_order_.size() > ctx_.config.ws_subscriptions_limit) {
    const auto [oldest, seq] = ended_in_order_.front();
    ended_in_order_.pop_front();
    if (const auto e = ended_.find(oldest); e != ended_.end() && e->second == seq) ended_.erase(e);
  }
}

// Runs `retry` on the session's strand a second from now, unless the
// session is closing by then; `retry` checks that what it retries is still
// wanted.
void WsSession::after_a_second(std::function<void()> retry) {
  auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), 1s);
  timer->async_wait([self = shared_from_this(), timer, retry = std::move(retry)](const boost::system::error_code&) {
    if (!self->closing_) retry();
  });
}

// A resync after a gap failed (the core is unreachable): the subscription
// stays and tries again shortly; live updates are held meanwhile.
void WsSession::retry_catch_up_later(const OrderId& id, std::uint64_t generation) {
  after_a_second([this, id, generation] {
    auto again = subs_.find(id);
    if (again != subs_.end() && again->second.generation == generation) start_catch_up(id, again->second);
  });
}

void WsSession::on_update(const std::shared_ptr<const StatusUpdate>& u) {
  // A slice's step reaches the subscription to its recurring order.
  auto it = subs_.find(u->parent.value_or(u->order));
  if (it == subs_.end()) {
    if (all_.on) on_all_update(u);  // an order's own subscription carries it otherwise
    return;
  }
  Subscription& sub = it->second;
  if (sub.catching_up) {
    // Bounded: past the limit, drop the held ones and fetch them again.
    if (sub.held.size() < ctx_.config.ws_queue_limit) {
      sub.held.push_back(u);
    } else {
      sub.held.clear();
      sub.resync_pending = true;
    }
    return;
  }
  send_if_new(sub, u);
  const OrderId id = it->first;  // not a reference into what the end erases
  end_if_finished(id);
}

void WsSession::send_if_new(Subscription& sub, const std::shared_ptr<const StatusUpdate>& u) {
  if (u->at() <= sub.last) return;
  sub.last = u->kept_at();
  if (u->child) sub.slices_running.insert(*u->child);
  if (u->parent && u->slice_ended) sub.slices_running.erase(u->order);
  if (u->completes_slices) sub.slices_running.clear();  // every slice ended, seen or not (a gateway's catch-up)
  // A dead letter's subscription stays for its retry or dismissal.
  if (!u->parent && u->terminal) sub.order_ended = !u->dead_letter;
  const std::string& text = dialect_ == WsDialect::compat ? u->compat_text() : u->text;
  if (text.empty()) return;  // not carried by this dialect
  enqueue(std::shared_ptr<const std::string>(u, &text), u->terminal);
}

// The compat dialect has status messages only: no acks, no pongs.
void WsSession::send_control(std::string_view type, const json::object& fields) {
  if (dialect_ == WsDialect::compat) return;
  json::object message{{"type", type}};
  for (const auto& kv : fields) message[kv.key()] = kv.value();
  enqueue(std::make_shared<const std::string>(json::serialize(message)), false);
}

void WsSession::send_error(const ApiError& e, std::string_view order, std::string_view request_id) {
  if (dialect_ == WsDialect::compat) {
    enqueue(std::make_shared<const std::string>(core::compat_error(order, e.code, e.message, e.field)), false);
    return;
  }
  json::object fields{{"error", json::object{{"code", e.code},
                                             {"message", e.message},
                                             {"field", e.field.empty() ? json::value(nullptr) : json::value(e.field)}}}};
  if (!request_id.empty()) fields["requestId"] = request_id;
  send_control("error", fields);
}

}  // namespace oee::api::detail
