#include "eventlog/jetstream/detail/pipelined_replies.h"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace oee::eventlog::jetstream::detail {

void PipelinedRepliesDeleter::operator()(PipelinedReplies* r) const { delete r; }  // NOLINT: owned by the connection

PipelinedReplies::PipelinedReplies(natsConnection* nc) {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) throw std::runtime_error("cannot make a NATS inbox for publish answers");
  prefix_ = std::string(inbox) + ".";
  natsInbox_Destroy(inbox);
  subscription_ = std::make_unique<AsyncSubscription>(nc, prefix_ + ">", "", [this](MsgPtr m) { deliver(std::move(m)); });
}

PipelinedReplies::~PipelinedReplies() = default;

PipelinedReplies::Batch PipelinedReplies::open(std::size_t size) {
  std::lock_guard lock(mu_);
  return Batch(*this, next_batch_++, size);
}

PipelinedReplies::Batch::Batch(PipelinedReplies& owner, std::uint64_t id, std::size_t size) : owner_(owner), id_(id) {
  waiting_.answers.resize(size);
  owner_.batches_.emplace(id_, &waiting_);  // open() holds the lock
}

PipelinedReplies::Batch::~Batch() {
  std::lock_guard lock(owner_.mu_);
  owner_.batches_.erase(id_);
}

std::string PipelinedReplies::Batch::reply_to(std::size_t index) const {
  return fmt::format("{}{}.{}", owner_.prefix_, id_, index);
}

std::vector<MsgPtr> PipelinedReplies::Batch::wait(std::size_t count, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(owner_.mu_);
  waiting_.awaited = count;
  waiting_.done.wait_until(lock, deadline, [&] { return waiting_.answered >= count; });
  return std::move(waiting_.answers);
}

void PipelinedReplies::deliver(MsgPtr msg) {
  std::string_view rest = natsMsg_GetSubject(msg.get());
  if (!rest.starts_with(prefix_)) return;
  rest.remove_prefix(prefix_.size());
  std::uint64_t batch = 0;
  std::size_t index = 0;
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return;
  if (std::from_chars(rest.data(), rest.data() + dot, batch).ec != std::errc{}) return;
  if (std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), index).ec != std::errc{}) return;
  std::lock_guard lock(mu_);
  const auto found = batches_.find(batch);
  if (found == batches_.end()) return;  // given up on
  auto& waiting = *found->second;
  if (index >= waiting.answers.size() || waiting.answers[index]) return;
  waiting.answers[index] = std::move(msg);
  // Under the lock: the batch, and its condition variable, may go once
  // its waiter sees the answers in.
  if (++waiting.answered == waiting.awaited) waiting.done.notify_one();
}

}  // namespace oee::eventlog::jetstream::detail
