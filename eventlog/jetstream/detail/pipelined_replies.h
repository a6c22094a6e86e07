#pragma once
// The answers to pipelined publishes (Connection::publish_all): one reply
// subscription per connection, <inbox>.<batch>.<index>, shared by every
// batch. A subscription per batch would have every server of the cluster
// add and then drop interest in it, a cost the servers pay per batch.
//
// Threading: open() and a Batch's methods from any thread; the answers
// arrive on the subscription's own thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "eventlog/jetstream/detail/async_subscription.h"
#include "eventlog/jetstream/detail/nats_support.h"

namespace oee::eventlog::jetstream::detail {

class PipelinedReplies {
  struct Waiting {
    std::vector<MsgPtr> answers;
    std::size_t answered = 0;
    // Woken once, when the answers it waits for are in (not by each one,
    // nor by other batches' answers).
    std::size_t awaited = 0;
    std::condition_variable done;
  };

 public:
  /// Subscribes on `nc`, which must outlive this. Throws std::runtime_error.
  explicit PipelinedReplies(natsConnection* nc);
  ~PipelinedReplies();
  PipelinedReplies(const PipelinedReplies&) = delete;
  PipelinedReplies& operator=(const PipelinedReplies&) = delete;

  /// The replies to one batch of `size` messages, registered until it is
  /// destroyed; answers that come later are dropped.
  class Batch {
   public:
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    /// Where the batch's message `index` is to be answered.
    [[nodiscard]] std::string reply_to(std::size_t index) const;
    /// Waits until `count` messages are answered or `deadline` passes, and
    /// hands over the answers (null: none came).
    [[nodiscard]] std::vector<MsgPtr> wait(std::size_t count, std::chrono::steady_clock::time_point deadline);

   private:
    friend class PipelinedReplies;
    Batch(PipelinedReplies& owner, std::uint64_t id, std::size_t size);
    PipelinedReplies& owner_;
    const std::uint64_t id_;
    Waiting waiting_;  // under owner_.mu_
  };

  [[nodiscard]] Batch open(std::size_t size);

 private:
  void deliver(MsgPtr msg);

  std::string prefix_;  // <inbox>.
  std::mutex mu_;
  std::uint64_t next_batch_ = 0;                          // under mu_
  std::unordered_map<std::uint64_t, Waiting*> batches_;  // under mu_
  std::unique_ptr<AsyncSubscription> subscription_;      // last: it goes first
};

}  // namespace oee::eventlog::jetstream::detail
