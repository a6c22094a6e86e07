#include "api/stream/hub.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/wire/compat_message.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace json = boost::json;

const std::string& StatusUpdate::compat_text() const {
  std::call_once(compat_once_, [this] {
    auto compat = core::compat_message(text);
    // Only a record the server could not decode has no status: say so in
    // the dialect's own error form rather than break a client reading status.
    compat_ = compat ? std::move(*compat)
                     : core::compat_error(order.str(), "unreadable_event", "this event could not be read", {});
  });
  return compat_;
}

namespace {

// A sliceStarted's child order; none for any other record.
std::optional<OrderId> slice_child(const eventlog::Record& r) {
  if (r.type != static_cast<std::uint8_t>(core::EventType::slice_started)) return std::nullopt;
  const auto event = core::decode_event(r.type, r.payload);
  if (!event) return std::nullopt;
  return std::get<core::SliceStarted>(*event).child;
}

}  // namespace

struct Hub::State {
  explicit State(boost::asio::any_io_executor executor) : strand(boost::asio::make_strand(std::move(executor))) {}

  [[nodiscard]] std::vector<std::shared_ptr<Subscriber>> subscribers_of(const OrderId& order) const {
    std::vector<std::shared_ptr<Subscriber>> targets;
    std::lock_guard lock(mu);
    for (const auto& w : everything) {
      if (auto s = w.lock()) targets.push_back(std::move(s));
    }
    auto it = by_order.find(order);
    if (it == by_order.end()) return targets;
    // Once per subscriber, however it follows the order.
    const auto followers_of_all = targets.size();
    for (const auto& w : it->second) {
      auto s = w.lock();
      if (s && std::find(targets.begin(), targets.begin() + followers_of_all, s) == targets.begin() + followers_of_all) {
        targets.push_back(std::move(s));
      }
    }
    return targets;
  }

  void note_published(PartitionId partition, Seq seq) {
    std::lock_guard lock(published_mu);
    published.advance(partition, seq);
  }

  [[nodiscard]] std::vector<std::shared_ptr<Subscriber>> followers_of(const OrderId& order) const {
    std::vector<std::shared_ptr<Subscriber>> targets;
    std::lock_guard lock(mu);
    auto it = by_order.find(order);
    if (it == by_order.end()) return targets;
    for (const auto& w : it->second) {
      if (auto s = w.lock()) targets.push_back(std::move(s));
    }
    return targets;
  }

  // A recurring order's stream carries its slices' steps: the parent's
  // followers get each update of a slice it started (`child`, learnt from
  // its sliceStarted), until the slice ends. Lock-free while no slice runs.
  std::optional<OrderId> parent_of(const OrderId& order, const std::optional<OrderId>& child, bool terminal) {
    if (!child && running_slices.load(std::memory_order_relaxed) == 0) return std::nullopt;
    std::lock_guard lock(parents_mu);
    if (child) parents[*child] = order;
    std::optional<OrderId> parent;
    if (const auto it = parents.find(order); it != parents.end()) {
      parent = it->second;
      if (terminal) parents.erase(it);
    }
    running_slices.store(parents.size(), std::memory_order_relaxed);
    return parent;
  }

  // A recurring order completes only once every slice of it ended: its
  // slices still listed are ends this hub missed (a gap in a gateway's
  // feed), which would otherwise stay listed.
  void slices_ended(const OrderId& parent) {
    if (running_slices.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard lock(parents_mu);
    std::erase_if(parents, [&parent](const auto& entry) { return entry.second == parent; });
    running_slices.store(parents.size(), std::memory_order_relaxed);
  }

  void deliver_to(const std::vector<std::shared_ptr<Subscriber>>& followers, const StatusUpdate& u,
                  const OrderId& parent) {
    if (followers.empty()) return;
    const auto carried = as_part_of(u, parent);
    for (const auto& s : followers) s->deliver(carried);
  }

  // Renders and fans out committed events (runs on the hub strand).
  void publish(const std::vector<eventlog::Record>& records) {
    for (const auto& r : records) {
      if (core::is_key_event(r.type)) continue;  // an API key's, sent on its own channel
      const auto parent = parent_of(r.order, slice_child(r), core::is_terminal_event(r.type));
      if (r.type == static_cast<std::uint8_t>(core::EventType::recurring_completed)) slices_ended(r.order);
      // Rendered only for orders someone follows, and once for all of them.
      const auto targets = subscribers_of(r.order);
      const auto parent_followers = parent ? followers_of(*parent) : std::vector<std::shared_ptr<Subscriber>>{};
      if (targets.empty() && parent_followers.empty()) continue;
      for (const auto& update : make_status_updates(r)) {
        for (const auto& s : targets) s->deliver(update);
        if (parent) deliver_to(parent_followers, *update, *parent);
      }
    }
    if (!records.empty()) note_published(records.back().partition.value_or(PartitionId{0}), records.back().seq);
  }

  boost::asio::strand<boost::asio::any_io_executor> strand;
  mutable std::mutex mu;
  std::unordered_map<OrderId, std::vector<std::weak_ptr<Subscriber>>, OrderIdHash> by_order;
  std::vector<std::weak_ptr<Subscriber>> everything;  // subscribers to every order
  std::mutex parents_mu;
  std::unordered_map<OrderId, OrderId, OrderIdHash> parents;  // a running slice's recurring order
  std::atomic<std::size_t> running_slices{0};                 // parents.size()
  mutable std::mutex published_mu;
  eventlog::Position published;

  // The partitions followed here (an order's, or every one for a
  // subscriber to every order), each watched on the log while any
  // subscription follows it: a cluster node that does not execute a
  // partition hears its records live only then (EventLogWriter::watch).
  eventlog::EventLogWriter* log = nullptr;  // none in a gateway
  std::mutex watch_mu;
  std::vector<std::size_t> following;                                      // per partition; under watch_mu
  std::vector<eventlog::CommitSubscription> watches;                       // per partition; under watch_mu
  std::unordered_map<OrderId, PartitionId, OrderIdHash> followed_in;  // an order followed: its partition

  void follow(PartitionId p, std::size_t n) {
    if (n == 0 || p.value >= following.size()) return;
    following[p.value] += n;
    if (following[p.value] == n) watches[p.value] = log->watch(p);
  }
  void unfollow(PartitionId p, std::size_t n) {
    if (n == 0 || p.value >= following.size()) return;
    following[p.value] -= std::min(n, following[p.value]);
    if (following[p.value] == 0) watches[p.value].reset();
  }
  std::atomic<std::uint64_t> queued{0};  // committed events handed to the strand
  std::atomic<std::uint64_t> fanned{0};  // of those, fanned out
};

Hub::Hub(boost::asio::any_io_executor executor) : state_(std::make_shared<State>(std::move(executor))) {}

void Hub::attach(eventlog::EventLogWriter& log) {
  {
    // Earlier events were never live.
    std::lock_guard lock(state_->published_mu);
    state_->published = eventlog::Position(log.partitioned());
    for (const PartitionId p : each_partition(log.partition_count())) state_->published.set(p, log.partition(p).head());
  }
  {
    std::lock_guard lock(state_->watch_mu);
    state_->log = &log;
    state_->following.assign(log.partition_count(), 0);
    state_->watches.resize(log.partition_count());
  }
  commits_ = log.on_commit([state = state_](std::span<const eventlog::Record> records) {
    auto copy = std::make_shared<std::vector<eventlog::Record>>(records.begin(), records.end());
    state->queued.fetch_add(copy->size(), std::memory_order_relaxed);
    boost::asio::post(state->strand, [state, copy] {
      state->publish(*copy);
      state->fanned.fetch_add(copy->size(), std::memory_order_relaxed);
    });
  });
}

// Watched before the subscriber reads the order's past (it does once this
// returns): what it reads and what it hears live then miss nothing between.
void Hub::subscribe(const OrderId& order, const std::shared_ptr<Subscriber>& subscriber) {
  {
    std::lock_guard lock(state_->mu);
    state_->by_order[order].push_back(subscriber);
  }
  std::lock_guard lock(state_->watch_mu);
  if (state_->log == nullptr) return;
  auto known = state_->followed_in.find(order);
  if (known == state_->followed_in.end()) {
    // A slice is in its parent's partition: looked for once, then known.
    const auto found = state_->log->find_partition(order);
    known = state_->followed_in.emplace(order, found ? *found : state_->log->partition_of(order)).first;
  }
  state_->follow(known->second, 1);
}

void Hub::unsubscribe(const OrderId& order, const Subscriber* subscriber) {
  std::size_t removed = 0;
  bool last = false;
  {
    std::lock_guard lock(state_->mu);
    auto& by_order = state_->by_order;
    auto it = by_order.find(order);
    if (it == by_order.end()) return;
    auto& subs = it->second;
    removed = std::erase_if(subs, [&](const std::weak_ptr<Subscriber>& w) {
      auto s = w.lock();
      return !s || s.get() == subscriber;
    });
    last = subs.empty();
    if (last) by_order.erase(it);
  }
  std::lock_guard lock(state_->watch_mu);
  const auto known = state_->followed_in.find(order);
  if (known == state_->followed_in.end()) return;
  state_->unfollow(known->second, removed);
  if (last) state_->followed_in.erase(known);
}

void Hub::subscribe_all(const std::shared_ptr<Subscriber>& subscriber) {
  {
    std::lock_guard lock(state_->mu);
    state_->everything.push_back(subscriber);
  }
  std::lock_guard lock(state_->watch_mu);
  for (const PartitionId p : each_partition(static_cast<std::uint32_t>(state_->following.size()))) state_->follow(p, 1);
}

void Hub::unsubscribe_all(const Subscriber* subscriber) {
  std::size_t removed = 0;
  {
    std::lock_guard lock(state_->mu);
    removed = std::erase_if(state_->everything, [&](const std::weak_ptr<Subscriber>& w) {
      auto s = w.lock();
      return !s || s.get() == subscriber;
    });
  }
  std::lock_guard lock(state_->watch_mu);
  for (const PartitionId p : each_partition(static_cast<std::uint32_t>(state_->following.size())))
    state_->unfollow(p, removed);
}

std::size_t Hub::subscriptions() const {
  std::lock_guard lock(state_->mu);
  std::size_t n = state_->everything.size();
  for (const auto& [_, subs] : state_->by_order) n += subs.size();
  return n;
}

std::uint64_t Hub::backlog() const {
  const auto fanned = state_->fanned.load(std::memory_order_relaxed);
  const auto queued = state_->queued.load(std::memory_order_relaxed);
  return queued > fanned ? queued - fanned : 0;
}

eventlog::Position Hub::published() const {
  std::lock_guard lock(state_->published_mu);
  return state_->published;
}

std::vector<std::shared_ptr<const StatusUpdate>> make_status_updates(const eventlog::Record& r) {
  const auto event = core::decode_event(r.type, r.payload);
  const std::size_t n = event ? core::message_count(*event) : 1;
  std::vector<std::shared_ptr<const StatusUpdate>> updates;
  updates.reserve(n);
  for (std::size_t step = 0; step < n; ++step) {
    auto update = std::make_shared<StatusUpdate>();
    update->order = r.order;
    update->seq = r.seq;
    update->partition = r.partition.value_or(PartitionId{0});
    if (event) {
      update->rank = core::message_rank(*event, step);
      update->text.reserve(256);
      core::append_status_json(update->text, r, *event, core::StatusJsonHead::message, step);
    } else {
      update->text = core::status_message_text(r);  // undecodable: the message says so
    }
    update->ends_record = step + 1 == n;
    if (update->ends_record) {
      update->terminal = core::is_terminal_event(r.type);
      if (const auto* started = event ? std::get_if<core::SliceStarted>(&*event) : nullptr) {
        update->child = started->child;
      }
      update->completes_slices = r.type == static_cast<std::uint8_t>(core::EventType::recurring_completed);
      update->dead_letter = r.type == static_cast<std::uint8_t>(core::EventType::order_failed);
    }
    updates.push_back(std::move(update));
  }
  return updates;
}

std::shared_ptr<const StatusUpdate> as_part_of(const StatusUpdate& slice, const OrderId& parent) {
  auto carried = std::make_shared<StatusUpdate>();
  carried->order = slice.order;
  carried->seq = slice.seq;
  carried->rank = slice.rank;
  carried->ends_record = slice.ends_record;
  carried->partition = slice.partition;
  carried->text = slice.text;
  carried->parent = parent;
  carried->slice_ended = slice.terminal;
  return carried;
}

void Hub::add_slice(const OrderId& child, const OrderId& parent) {
  std::lock_guard lock(state_->parents_mu);
  state_->parents[child] = parent;
  state_->running_slices.store(state_->parents.size(), std::memory_order_relaxed);
}

void Hub::fan_out(const std::shared_ptr<const StatusUpdate>& update) {
  for (const auto& s : state_->subscribers_of(update->order)) s->deliver(update);
  if (const auto parent = state_->parent_of(update->order, update->child, update->terminal)) {
    state_->deliver_to(state_->followers_of(*parent), *update, *parent);
  }
  if (update->completes_slices) state_->slices_ended(update->order);
  // A stream of every order that starts now starts after the last whole
  // record: the rest of one in progress still reaches it.
  if (update->ends_record) state_->note_published(update->partition, update->seq);
}

void Hub::resync_all() {
  std::vector<std::pair<OrderId, std::shared_ptr<Subscriber>>> targets;
  std::vector<std::shared_ptr<Subscriber>> followers_of_all;
  {
    std::lock_guard lock(state_->mu);
    for (const auto& w : state_->everything) {
      if (auto s = w.lock()) followers_of_all.push_back(std::move(s));
    }
    for (const auto& [order, subs] : state_->by_order) {
      for (const auto& w : subs) {
        if (auto s = w.lock()) targets.emplace_back(order, std::move(s));
      }
    }
  }
  for (const auto& [order, s] : targets) s->resync(order);
  for (const auto& s : followers_of_all) s->resync_everything();
}

std::shared_ptr<const StatusUpdate> status_update_from(const json::object& o, std::string text) {
  const auto* order = o.if_contains("orderId");
  const auto* seq = o.if_contains("seq");
  if (order == nullptr || !order->is_string() || seq == nullptr || !(seq->is_uint64() || seq->is_int64())) {
    return nullptr;
  }
  auto id = OrderId::parse(order->get_string());
  if (!id) return nullptr;
  auto update = std::make_shared<StatusUpdate>();
  update->order = *id;
  update->seq = Seq{seq->to_number<std::uint64_t>()};
  if (const auto* partition = o.if_contains("partition"); partition != nullptr) {
    if (!partition->is_uint64() && !partition->is_int64()) return nullptr;
    boost::system::error_code ec;
    const auto p = partition->to_number<std::uint32_t>(ec);
    if (ec) return nullptr;
    update->partition = PartitionId{p};
  }
  if (const auto* child = o.if_contains("childId"); child != nullptr && child->is_string()) {
    if (auto parsed = OrderId::parse(child->get_string())) update->child = *parsed;
  }
  const auto* terminal = o.if_contains("terminal");
  update->terminal = terminal != nullptr && terminal->is_bool() && terminal->get_bool();
  const auto* event = o.if_contains("event");
  const auto is_event = [event](core::EventType type) {
    return event != nullptr && event->is_string() && event->get_string() == core::event_name(type);
  };
  update->completes_slices = is_event(core::EventType::recurring_completed);
  update->dead_letter = is_event(core::EventType::order_failed);
  if (is_event(core::EventType::routed)) update->rank = core::message_rank(core::EventType::routed);
  if (is_event(core::EventType::tx_submitted)) update->rank = core::message_rank(core::EventType::tx_submitted);
  // More of its record may follow these (a routedAndSent's steps).
  update->ends_record = !is_event(core::EventType::routing_started) && !is_event(core::EventType::routed);
  update->text = std::move(text);
  return update;
}

std::shared_ptr<const StatusUpdate> parse_status_update(std::string text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return nullptr;
  return status_update_from(v.get_object(), std::move(text));
}

}  // namespace oee::api
