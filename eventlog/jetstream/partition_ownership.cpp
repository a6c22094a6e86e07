#include "eventlog/jetstream/detail/partition_ownership.h"

namespace oee::eventlog::jetstream::detail {

void PartitionOwnership::want() {
  std::lock_guard lock(mu_);
  wanted_ = true;
}

bool PartitionOwnership::wanted() const {
  std::lock_guard lock(mu_);
  return wanted_;
}

bool PartitionOwnership::owned() const {
  std::lock_guard lock(mu_);
  return owned_;
}

bool PartitionOwnership::owns(Ownership ownership) const {
  std::lock_guard lock(mu_);
  return owned_ && ownership_ == ownership;
}

std::optional<PartitionOwnership::Held> PartitionOwnership::held() const {
  std::lock_guard lock(mu_);
  if (!owned_) return std::nullopt;
  return Held{ownership_, taken_at_};
}

PartitionOwnership::Change PartitionOwnership::taken(bool ours, Seq at) {
  std::lock_guard lock(mu_);
  if (ours) {
    if (!wanted_ || owned_) return Change::none;
    owned_ = true;
    ownership_ = ownership_.next();
    taken_at_ = at;
    return Change::gained;
  }
  if (!owned_) return Change::none;
  owned_ = false;
  wanted_ = false;
  ownership_ = ownership_.next();
  return Change::lost;
}

void PartitionOwnership::release() {
  std::lock_guard lock(mu_);
  wanted_ = false;
  if (owned_) {
    owned_ = false;
    ownership_ = ownership_.next();
  }
}

}  // namespace oee::eventlog::jetstream::detail
