#include "api/server/key_guards.h"

#include <chrono>

namespace oee::api {

namespace {

std::string revoked_reason(const core::KeyId& id) { return "its API key " + id.str() + " was revoked"; }
std::string expired_reason(const core::KeyId& id) { return "its API key " + id.str() + " expired"; }

// Why `key` no longer lets its orders trade at `now`, or empty.
std::string why_dead(const core::ApiKey& key, TimestampNs now) {
  if (key.revoked_at) return revoked_reason(key.id);
  if (!key.live_at(now)) return expired_reason(key.id);
  return {};
}

}  // namespace

core::SliceGate slice_gate(const KeyRing& keys, RateLimiter& limits) {
  return [&keys, &limits](const core::OrderState& parent) -> core::SliceClearance {
    if (!parent.owner) return {};  // the admin key's, or made with authentication off
    const auto key = keys.get(*parent.owner);
    // Not folded here yet (made on another cluster node a moment ago).
    if (!key) return core::SliceClearance{std::chrono::seconds(1), {}};
    if (auto why = why_dead(*key, TimestampNs::now()); !why.empty()) return core::SliceClearance{{}, std::move(why)};
    const auto tree = keys.tree_of(key->id);
    const auto root = keys.get(tree);
    const auto d = limits.write(key->id, key->rate_limit, tree, root ? root->rate_limit : key->rate_limit,
                                std::chrono::steady_clock::now());
    if (!d.allowed) return core::SliceClearance{std::chrono::seconds(d.retry_after_s), {}};
    return {};
  };
}

core::KeyCheck key_check(const KeyRing& keys) {
  return [&keys](const core::OrderState& order) -> std::string {
    if (!order.owner) return {};
    // A key not folded here yet was live where the order was accepted.
    const auto key = keys.get(*order.owner);
    return key ? why_dead(*key, TimestampNs::now()) : std::string{};
  };
}

std::vector<std::pair<core::KeyId, std::string>> dead_keys(const KeyRing& keys, TimestampNs now) {
  std::vector<std::pair<core::KeyId, std::string>> out;
  for (const auto& key : keys.list())
    if (auto why = why_dead(key, now); !why.empty()) out.emplace_back(key.id, std::move(why));
  return out;
}

DeadKeyWatch::DeadKeyWatch(boost::asio::io_context& ioc, const KeyRing& keys, Cancel cancel)
    : timer_(ioc), keys_(keys), cancel_(std::move(cancel)) {}

void DeadKeyWatch::start() {
  started_.store(true);
  look();
}

void DeadKeyWatch::stop() { timer_.cancel(); }

void DeadKeyWatch::revoked(const core::KeyId& id) const {
  // Before the first look (the keys read at start), which takes every key
  // revoked by then.
  if (started_.load()) cancel_(id, revoked_reason(id));
}

void DeadKeyWatch::look() {
  const TimestampNs now = TimestampNs::now();
  if (!looked_) {
    for (const auto& [id, why] : dead_keys(keys_, now)) cancel_(id, why);
  } else {
    for (const auto& key : keys_.list()) {
      if (key.revoked_at || !key.expires_at) continue;
      if (*looked_ < *key.expires_at && *key.expires_at <= now) cancel_(key.id, expired_reason(key.id));
    }
  }
  looked_ = now;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) look();
  });
}

}  // namespace oee::api
