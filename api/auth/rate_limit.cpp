#include "api/auth/rate_limit.h"

#include <algorithm>
#include <functional>

#include <spdlog/spdlog.h>

namespace oee::api {

namespace {

constexpr std::uint64_t kOne = 1'000'000'000;  // one request, in billionths
// Buckets kept per address before idle (full) ones are dropped: a scan of
// many addresses must not grow the map without bound.
constexpr std::size_t kMaxAddresses = 10'000;

std::uint32_t seconds_up(std::uint64_t ns) { return static_cast<std::uint32_t>((ns + kOne - 1) / kOne); }

}  // namespace

boost::asio::ip::address client_of(const boost::asio::ip::address& a) {
  if (a.is_v4()) return a;
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes);
}

TokenBucket::TokenBucket(core::RateLimit limit, SteadyTime now)
    : nano_tokens_(static_cast<std::uint64_t>(limit.burst) * kOne), at_(now) {}

void TokenBucket::refill(core::RateLimit limit, SteadyTime now) {
  const std::uint64_t capacity = static_cast<std::uint64_t>(limit.burst) * kOne;
  if (now <= at_) return;
  const auto elapsed = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - at_).count());
  at_ = now;
  // Capped before multiplying: an idle bucket is full, however long idle.
  const std::uint64_t to_fill = capacity - std::min(capacity, nano_tokens_);
  const std::uint64_t per_second = std::max<std::uint32_t>(limit.per_second, 1);
  const std::uint64_t enough = to_fill / per_second + 1;
  nano_tokens_ = std::min(capacity, nano_tokens_ + std::min(elapsed, enough) * per_second);
}

RateDecision TokenBucket::take(core::RateLimit limit, SteadyTime now) {
  refill(limit, now);
  const std::uint64_t capacity = static_cast<std::uint64_t>(limit.burst) * kOne;
  const std::uint64_t per_second = std::max<std::uint32_t>(limit.per_second, 1);
  RateDecision d;
  d.limit = limit.burst;
  d.allowed = nano_tokens_ >= kOne;
  if (d.allowed) nano_tokens_ -= kOne;
  d.remaining = static_cast<std::uint32_t>(nano_tokens_ / kOne);
  d.reset_s = seconds_up((capacity - std::min(capacity, nano_tokens_)) / per_second);
  if (!d.allowed) d.retry_after_s = std::max<std::uint32_t>(1, seconds_up((kOne - nano_tokens_) / per_second));
  return d;
}

bool TokenBucket::full_at(core::RateLimit limit, SteadyTime now) const {
  return level_at(limit, now) >= static_cast<std::uint64_t>(limit.burst) * kOne;
}

std::uint64_t TokenBucket::level_at(core::RateLimit limit, SteadyTime now) const {
  TokenBucket later = *this;
  later.refill(limit, now);
  return later.nano_tokens_;
}

std::size_t ClientAddressHash::operator()(const boost::asio::ip::address& a) const noexcept {
  if (a.is_v4()) return std::hash<std::uint32_t>{}(a.to_v4().to_uint());
  const auto bytes = a.to_v6().to_bytes();
  std::size_t h = 0;
  for (const auto b : bytes) h = h * 131 + b;
  return h;
}

RateDecision RateLimiter::counted(RateDecision d) {
  if (!d.allowed) limited_.fetch_add(1);
  return d;
}

RateDecision RateLimiter::key(const core::KeyId& id, Kind kind, core::RateLimit limit, SteadyTime now) {
  if (limit.unlimited()) return RateDecision{};
  std::lock_guard lock(mu_);
  auto [it, added] = keys_.try_emplace(KeyBucket{id, kind}, limit, now);
  return counted(it->second.take(limit, now));
}

RateDecision RateLimiter::write(const core::KeyId& id, core::RateLimit limit, const core::KeyId& tree,
                                core::RateLimit tree_limit, SteadyTime now) {
  const auto own = key(id, Kind::writes, limit, now);
  if (!own.allowed || tree == id || tree_limit.unlimited()) return own;
  const auto shared = key(tree, Kind::writes, tree_limit, now);
  if (!shared.allowed || limit.unlimited()) return shared;
  return shared.remaining < own.remaining ? shared : own;
}

TokenBucket& RateLimiter::bucket_for(ByAddress& buckets, const boost::asio::ip::address& from,
                                     core::RateLimit limit, SteadyTime now) {
  if (buckets.size() >= kMaxAddresses && !buckets.contains(from)) {
    std::erase_if(buckets, [&](const auto& entry) { return entry.second.full_at(limit, now); });
    // Every one busy: the one with the most left is forgotten to make
    // room, not all of them (a scan of fresh addresses would free every
    // throttled one at once).
    if (buckets.size() >= kMaxAddresses) {
      buckets.erase(std::max_element(buckets.begin(), buckets.end(), [&](const auto& a, const auto& b) {
        return a.second.level_at(limit, now) < b.second.level_at(limit, now);
      }));
    }
  }
  return buckets.try_emplace(from, limit, now).first->second;
}

RateDecision RateLimiter::failing(const boost::asio::ip::address& from, SteadyTime now) {
  std::lock_guard lock(mu_);
  const auto it = failing_.find(client_of(from));
  if (it == failing_.end()) return RateDecision{};
  // Looked at, not taken: a copy refilled to now says what a take would.
  TokenBucket probe = it->second;
  auto d = probe.take(kFailures, now);
  return counted(d);
}

RateDecision RateLimiter::anonymous(const boost::asio::ip::address& from, SteadyTime now) {
  std::lock_guard lock(mu_);
  return counted(bucket_for(anonymous_, client_of(from), kAnonymous, now).take(kAnonymous, now));
}

void RateLimiter::failed(const boost::asio::ip::address& from, AuthFailure why, SteadyTime now) {
  failures_[static_cast<std::size_t>(why)].fetch_add(1);
  if (why == AuthFailure::unavailable) return;
  std::lock_guard lock(mu_);
  (void)bucket_for(failing_, client_of(from), kFailures, now).take(kFailures, now);
  log_failure(from, why, now);
}

// One line a second at most, however many fail from however many
// addresses: a scan must not fill the disk with log lines. Only what the
// server knows goes in (the address and a reason word), nothing the client
// sent, so the line cannot carry a forged entry or a terminal escape.
void RateLimiter::log_failure(const boost::asio::ip::address& from, AuthFailure why, SteadyTime now) {
  if (now - last_failure_logged_ < kFailureLogEvery && failures_logged_ > 0) {
    ++failures_unlogged_;
    return;
  }
  if (failures_unlogged_ > 0) {
    spdlog::warn("authentication failed from {}: {} ({} more failures not logged in the last {} s)", from.to_string(),
                 auth_failure_name(why), failures_unlogged_,
                 std::chrono::duration_cast<std::chrono::seconds>(now - last_failure_logged_).count());
  } else {
    spdlog::warn("authentication failed from {}: {}", from.to_string(), auth_failure_name(why));
  }
  last_failure_logged_ = now;
  failures_unlogged_ = 0;
  ++failures_logged_;
}

}  // namespace oee::api
