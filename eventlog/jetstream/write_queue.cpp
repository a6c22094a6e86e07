#include "eventlog/jetstream/detail/write_queue.h"

namespace oee::eventlog::jetstream::detail {

bool WriteQueue::push(QueuedWrite& q) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    queue_.push_back(std::move(q));
  }
  cv_.notify_one();
  return true;
}

void WriteQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::vector<QueuedWrite> WriteQueue::take(const Joins& joins) {
  std::vector<QueuedWrite> run;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
  while (!queue_.empty() && (run.empty() || joins(run, queue_.front()))) {
    run.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return run;
}

bool WriteQueue::closed_within(std::chrono::milliseconds pause) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, pause, [&] { return closed_; });
}

}  // namespace oee::eventlog::jetstream::detail
