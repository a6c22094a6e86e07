#pragma once
// The log's commit listeners: registered from any thread, called on the
// writer thread, and unregistered by their subscription with the promise
// CommitSubscription makes (not running, never again).

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::detail {

class CommitListeners : public std::enable_shared_from_this<CommitListeners> {
 public:
  [[nodiscard]] CommitSubscription add(CommitListener listener);
  /// Calls every registered listener; one thread at a time.
  void notify(std::span<const Record> records);

 private:
  struct Slot {
    explicit Slot(CommitListener l) : listener(std::move(l)) {}
    CommitListener listener;
    std::mutex running;  // held while the listener runs
    std::atomic<bool> live{true};
  };
  using Slots = std::vector<std::shared_ptr<Slot>>;
  void remove(const std::shared_ptr<Slot>& slot);

  std::mutex mu_;
  // Replaced whole on add and remove, so a commit takes the current list
  // with one reference count instead of copying it.
  std::shared_ptr<const Slots> slots_ = std::make_shared<const Slots>();
};

}  // namespace oee::eventlog::detail
