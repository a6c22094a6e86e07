#include "api/routes/recurring_count.h"

#include <limits>
#include <variant>

#include "core/domain/order.h"
#include "core/wire/event_codec.h"

namespace oee::api {

RecurringCount::RecurringCount(eventlog::EventLogWriter& log, std::size_t max, TreeOf tree_of)
    : max_(max), tree_of_(std::move(tree_of)), subscription_(log.on_commit([this](std::span<const eventlog::Record> records) { committed(records); })) {}

eventlog::Result<std::size_t> RecurringCount::load(core::OrderStore& store) {
  auto open = store.load_set(eventlog::OrderSet::active, std::numeric_limits<std::size_t>::max());
  if (!open) return open.error();
  std::size_t found = 0;
  for (const core::OrderSnapshot& held : *open) {
    const core::OrderState& s = held.state;
    if (s.order_type != core::OrderType::recurring || !s.owner || core::is_terminal(s.status)) continue;
    std::lock_guard lock(mu_);
    add(held.id, *s.owner);
    ++found;
  }
  return found;
}

void RecurringCount::add(const OrderId& order, const core::KeyId& key) {
  const auto tree = tree_of_(key);
  if (orders_.emplace(order, tree).second) ++active_[tree];
}

void RecurringCount::committed(std::span<const eventlog::Record> records) {
  for (const auto& r : records) {
    if (r.type == static_cast<std::uint8_t>(core::EventType::submitted)) {
      const auto event = core::decode_event(r.type, r.payload);
      const auto* submitted = event ? std::get_if<core::OrderSubmitted>(&*event) : nullptr;
      if (submitted == nullptr || submitted->order_type != core::OrderType::recurring || !submitted->owner) continue;
      std::lock_guard lock(mu_);
      add(r.order, *submitted->owner);
    } else if (core::is_terminal_event(r.type)) {
      std::lock_guard lock(mu_);
      const auto it = orders_.find(r.order);
      if (it == orders_.end()) continue;
      if (const auto n = active_.find(it->second); n != active_.end() && --n->second == 0) active_.erase(n);
      orders_.erase(it);
    }
  }
}

std::optional<RecurringCount::Slot> RecurringCount::reserve(const core::KeyId& key) {
  const auto tree = tree_of_(key);
  std::lock_guard lock(mu_);
  const auto a = active_.find(tree);
  const auto p = pending_.find(tree);
  const std::size_t held = (a == active_.end() ? 0 : a->second) + (p == pending_.end() ? 0 : p->second);
  if (max_ != 0 && held >= max_) return std::nullopt;
  ++pending_[tree];
  return std::optional<Slot>(std::in_place, this, tree);
}

RecurringCount::Slot::~Slot() {
  if (count_ == nullptr) return;
  std::lock_guard lock(count_->mu_);
  if (const auto p = count_->pending_.find(key_); p != count_->pending_.end() && --p->second == 0)
    count_->pending_.erase(p);
}

}  // namespace oee::api
