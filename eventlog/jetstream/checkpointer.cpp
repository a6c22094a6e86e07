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
  // Once, as the batch fills: the thread looks again after each write.
  if (finished_.size() == kDirectoryFlushAt) cv_.notify_one();
  if (finished_.size() == kDirectoryPendingWarn)
    spdlog::warn("partition {}: {} orders finished since the owner's last checkpoint", partition_, finished_.size());
}

void Checkpointer::forget_through(Seq through) {
  std::lock_guard lock(mu_);
  std::erase_if(finished_, [&](const IndexedOrder& o) { return o.seqs.back() <= through; });
}

void Checkpointer::clear_finished() {
  std::lock_guard lock(mu_);
  finished_.clear();
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
    cv_.wait_for(lock, kDirectoryEvery, [&] {
      return checkpoint_ || stopping_ || (finished_.size() >= kDirectoryFlushAt && writes_.is_owner());
    });
    if (stopping_ && !checkpoint_) return;
    if (!writes_.is_owner()) {
      checkpoint_.reset();  // the owner's to write
      continue;
    }
    auto finished = std::move(finished_);
    finished_.clear();
    auto checkpoint = std::move(checkpoint_);
    checkpoint_.reset();
    lock.unlock();
    if (!finished.empty()) {
      if (const auto ec = writes_.write_directory(finished)) {
        spdlog::warn("partition {}: {} finished orders were not written to the directory ({}); trying again",
                     partition_, finished.size(), ec.message());
        lock.lock();
        finished.insert(finished.end(), std::make_move_iterator(finished_.begin()),
                        std::make_move_iterator(finished_.end()));
        finished_ = std::move(finished);
        if (!checkpoint_) checkpoint_ = std::move(checkpoint);  // not before the directory
        if (stopping_) return;  // the next owner writes them: every node keeps them
        cv_.wait_for(lock, 1s, [&] { return stopping_; });
        continue;
      }
    }
    if (checkpoint) {
      const auto& [seq, blob] = *checkpoint;
      if (const auto ec = writes_.write_checkpoint(seq, blob)) {
        spdlog::warn("partition {}: the checkpoint at position {} was not written ({}); the next one will be",
                     partition_, seq.value, ec.message());
      } else {
        writes_.written(seq);
      }
    }
    lock.lock();
  }
}

}  // namespace oee::eventlog::jetstream::detail
