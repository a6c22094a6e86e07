#include "api/auth/ws_tickets.h"

#include <openssl/rand.h>

#include <array>
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
  std::lock_guard lock(mu_);
  if (by_hash_.size() >= kMaxOutstanding) forget_expired(now);
  if (by_hash_.size() >= kMaxOutstanding) return std::nullopt;
  by_hash_.emplace(key_of(text), Outstanding{holder, expires_at});
  return Issued{std::move(text), expires_at};
}

std::optional<WsTickets::Holder> WsTickets::redeem(std::string_view text, TimestampNs now) {
  const auto key = key_of(text);
  std::lock_guard lock(mu_);
  const auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  const Outstanding held = it->second;
  by_hash_.erase(it);
  if (now >= held.expires_at) return std::nullopt;
  return held.holder;
}

void WsTickets::forget_expired(TimestampNs now) {
  std::erase_if(by_hash_, [now](const auto& entry) { return now >= entry.second.expires_at; });
}

}  // namespace oee::api
