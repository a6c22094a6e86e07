#include "api/auth/ws_tickets.h"

#include <openssl/rand.h>

#include <array>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "api/auth/key_secret.h"

namespace oee::api {

namespace {

std::string key_of(std::string_view text) {
  const core::KeyHash hash = hash_secret(text);
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

}  // namespace

std::optional<WsTickets::Issued> WsTickets::issue(const Holder& holder, TimestampNs now) {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("the system's random generator failed");
  std::string text = "oee_wst_";
  for (const unsigned char b : bytes) text += fmt::format("{:02x}", b);
  const TimestampNs expires_at{now.value + std::chrono::nanoseconds(kLifetime).count()};
  const std::size_t most = holder.key ? kPerKeyTree : kAdminOutstanding;
  std::lock_guard lock(mu_);
  if (count_of(holder) >= most) forget_expired(now);
  auto& held = count_of(holder);
  if (held >= most) return std::nullopt;
  ++held;
  by_hash_.emplace(key_of(text), Outstanding{holder, expires_at});
  return Issued{std::move(text), expires_at};
}

std::optional<WsTickets::Holder> WsTickets::redeem(std::string_view text, TimestampNs now) {
  const auto key = key_of(text);
  std::lock_guard lock(mu_);
  const auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  const Outstanding held = it->second;
  forget(it);
  if (now >= held.expires_at) return std::nullopt;
  return held.holder;
}

std::size_t& WsTickets::count_of(const Holder& holder) { return holder.key ? per_tree_[holder.tree] : admins_; }

void WsTickets::forget(std::unordered_map<std::string, Outstanding>::iterator it) {
  if (!it->second.holder.key) {
    --admins_;
  } else if (const auto n = per_tree_.find(it->second.holder.tree); n != per_tree_.end() && --n->second == 0) {
    per_tree_.erase(n);
  }
  by_hash_.erase(it);
}

void WsTickets::forget_expired(TimestampNs now) {
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    const auto next = std::next(it);
    if (now >= it->second.expires_at) forget(it);
    it = next;
  }
}

}  // namespace oee::api
