#include "eventlog/jetstream/detail/recent_requests.h"

namespace oee::eventlog::jetstream::detail {

void RecentRequests::remember(const std::string& request, Seq position, const OrderId& order) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  while (!ages_.empty()) {
    const auto it = by_request_.find(ages_.front());
    if (it != by_request_.end() && now - it->second.at < kKept) break;
    if (it != by_request_.end()) by_request_.erase(it);
    ages_.pop_front();
  }
  if (by_request_.emplace(request, Entry{position, order, now}).second) ages_.push_back(request);
}

std::optional<RecentRequests::Landed> RecentRequests::find(const std::string& request) const {
  std::lock_guard lock(mu_);
  const auto it = by_request_.find(request);
  if (it == by_request_.end()) return std::nullopt;
  return Landed{request, it->second.position, it->second.order};
}

std::vector<RecentRequests::Landed> RecentRequests::kept() const {
  std::lock_guard lock(mu_);
  std::vector<Landed> out;
  out.reserve(ages_.size());
  for (const auto& r : ages_) {
    if (const auto it = by_request_.find(r); it != by_request_.end())
      out.push_back(Landed{r, it->second.position, it->second.order});
  }
  return out;
}

void RecentRequests::restore(std::vector<Landed> landed) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (auto& l : landed) {
    if (by_request_.emplace(l.request, Entry{l.position, l.order, now}).second) ages_.push_back(std::move(l.request));
  }
}

}  // namespace oee::eventlog::jetstream::detail
