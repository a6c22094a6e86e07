#include "eventlog/detail/commit_listeners.h"

#include <algorithm>

namespace oee::eventlog::detail {

namespace {
// The slot whose listener this thread is running: unregistering it from
// inside itself must not wait for itself.
thread_local const void* running_slot = nullptr;
}  // namespace

CommitSubscription CommitListeners::add(CommitListener listener) {
  auto slot = std::make_shared<Slot>(std::move(listener));
  {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<Slots>(*slots_);
    next->push_back(slot);
    slots_ = std::move(next);
  }
  return CommitSubscription([weak_self = weak_from_this(), weak_slot = std::weak_ptr<Slot>(slot)] {
    auto slot = weak_slot.lock();
    if (!slot) return;
    if (auto self = weak_self.lock()) self->remove(slot);
    if (running_slot == slot.get()) {
      slot->live = false;
      return;
    }
    std::lock_guard running(slot->running);
    slot->live = false;
  });
}

void CommitListeners::remove(const std::shared_ptr<Slot>& slot) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<Slots>(*slots_);
  std::erase(*next, slot);
  slots_ = std::move(next);
}

void CommitListeners::notify(std::span<const Record> records) {
  std::shared_ptr<const Slots> slots;
  {
    std::lock_guard lock(mu_);
    slots = slots_;
  }
  for (const auto& slot : *slots) {
    std::lock_guard running(slot->running);
    if (!slot->live) continue;
    struct Running {
      explicit Running(const void* slot) { running_slot = slot; }
      ~Running() { running_slot = nullptr; }
    } mark(slot.get());
    slot->listener(records);
  }
}

}  // namespace oee::eventlog::detail
