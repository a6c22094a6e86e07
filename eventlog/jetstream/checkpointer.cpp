#include "eventlog/jetstream/detail/checkpointer.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream::detail {

using namespace std::chrono_literals;

Checkpointer::Checkpointer(PartitionId partition, Writes writes)
    : partition_(partition), writes_(std::move(writes)), thread_([this] {
        pthread_setname_np(pthread_self(), "oee-js-ckpt");
        run();
      }) {}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::note_finished(const IndexedOrder& order) {
  std::lock_guard lock(mu_);
  finished_.push_back(order);
  by_id_[order.order] = finished_.size() - 1;
  if (finished_.size() == kPendingWarn)
    spdlog::warn("partition {}: {} orders finished since the owner's last checkpoint", partition_, finished_.size());
}

std::optional<IndexedOrder> Checkpointer::pending(const OrderId& order) const {
  std::lock_guard lock(mu_);
  const auto it = by_id_.find(order);
  if (it == by_id_.end()) return std::nullopt;
  return finished_[it->second];
}

void Checkpointer::index_pending() {
  by_id_.clear();
  for (std::size_t i = 0; i < finished_.size(); ++i) by_id_[finished_[i].order] = i;
}

void Checkpointer::forget_through(Seq through) {
  std::lock_guard lock(mu_);
  std::erase_if(finished_, [&](const IndexedOrder& o) { return o.seqs.back() <= through; });
  index_pending();
}

void Checkpointer::clear_finished() {
  std::lock_guard lock(mu_);
  finished_.clear();
  by_id_.clear();
}

void Checkpointer::checkpoint_due(Seq position, std::string blob) {
  {
    std::lock_guard lock(mu_);
    checkpoint_.emplace(position, std::move(blob));
  }
  cv_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return checkpoint_ || stopping_; });
    if (stopping_ && !checkpoint_) return;
    if (!writes_.is_owner()) {
      checkpoint_.reset();  // the owner's to write
      continue;
    }
    auto checkpoint = std::move(*checkpoint_);
    checkpoint_.reset();
    // Everything noted so far, kept (and answered for) until it is stored.
    std::vector<IndexedOrder> orders = finished_;
    std::unordered_map<OrderId, Seq, OrderIdHash> stored;  // each order's last finish in the segment
    for (const auto& o : orders) stored[o.order] = std::max(stored[o.order], o.seqs.back());
    lock.unlock();
    const auto ec = orders.empty() ? std::error_code{} : writes_.write_segment(std::move(orders));
    lock.lock();
    if (ec) {
      spdlog::warn("partition {}: {} finished orders were not written to a segment ({}); trying again", partition_,
                   stored.size(), ec.message());
      if (!checkpoint_) checkpoint_ = std::move(checkpoint);  // not before the segment
      if (stopping_) return;  // the next owner writes them: every node keeps them
      cv_.wait_for(lock, 1s, [&] { return stopping_; });
      continue;
    }
    std::erase_if(finished_, [&](const IndexedOrder& o) {
      const auto it = stored.find(o.order);
      return it != stored.end() && o.seqs.back() <= it->second;
    });
    index_pending();
    lock.unlock();
    if (const auto written = writes_.write_checkpoint(checkpoint.first, checkpoint.second)) {
      spdlog::warn("partition {}: the checkpoint at position {} was not written ({}); the next one will be",
                   partition_, checkpoint.first.value, written.message());
    } else {
      writes_.written(checkpoint.first);
    }
    lock.lock();
  }
}

}  // namespace oee::eventlog::jetstream::detail
