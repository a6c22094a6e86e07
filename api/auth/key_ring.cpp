#include "api/auth/key_ring.h"

#include <cstring>

namespace oee::api {

std::size_t KeyRing::HashOfHash::operator()(const core::KeyHash& h) const noexcept {
  std::size_t v = 0;
  std::memcpy(&v, h.data(), sizeof v);  // a SHA-256 is uniform already
  return v;
}

bool KeyRing::apply(const core::KeyId& id, TimestampNs at, const core::KeyEvent& event) {
  {
    std::unique_lock lock(mu_);
    const auto known = by_id_.find(id);
    if (const auto* created = std::get_if<core::ApiKeyCreated>(&event)) {
      if (known != by_id_.end()) return false;
      std::optional<TimestampNs> revoked;
      if (const auto early = revoked_unknown_.find(id); early != revoked_unknown_.end()) {
        revoked = early->second;
        revoked_unknown_.erase(early);
      }
      by_id_.emplace(id, keys_.size());
      by_hash_.emplace(created->hash, keys_.size());
      keys_.push_back(core::ApiKey{id, created->name, created->scopes, created->hash, created->rate_limit,
                                   created->expires_at, at, revoked, created->created_by});
      if (created->created_by) ++made_under_[tree_of_locked(id)];
      return true;
    }
    if (known == by_id_.end()) {
      // Bounded: these come ahead of a listing, a handful at most; more is
      // noise on the feed, and dropping it only loses a revocation the
      // next listing carries anyway.
      if (revoked_unknown_.size() >= kMaxRevokedUnknown) return false;
      return revoked_unknown_.emplace(id, at).second;
    }
    if (keys_[known->second].revoked_at) return false;
    keys_[known->second].revoked_at = at;
  }
  for (const auto& listener : on_revoked_) listener(id);
  return true;
}

std::optional<core::ApiKey> KeyRing::find(const core::KeyHash& hash) const {
  std::shared_lock lock(mu_);
  // The lookup compares hashes, not secrets: its timing can tell only about
  // a SHA-256, which no one can turn back into a secret.
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return keys_[it->second];
}

std::optional<core::ApiKey> KeyRing::get(const core::KeyId& id) const {
  std::shared_lock lock(mu_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return keys_[it->second];
}

std::vector<core::ApiKey> KeyRing::list() const {
  std::shared_lock lock(mu_);
  return keys_;
}

core::KeyId KeyRing::tree_of(const core::KeyId& id) const {
  std::shared_lock lock(mu_);
  return tree_of_locked(id);
}

core::KeyId KeyRing::tree_of_locked(const core::KeyId& id) const {
  // A key's maker is made before it, so the walk ends; bounded all the same.
  constexpr int kDeepest = 1024;
  core::KeyId at = id;
  for (int depth = 0; depth < kDeepest; ++depth) {
    const auto it = by_id_.find(at);
    if (it == by_id_.end() || !keys_[it->second].created_by) return at;
    at = *keys_[it->second].created_by;
  }
  return at;
}

std::size_t KeyRing::made_under(const core::KeyId& root) const {
  std::shared_lock lock(mu_);
  const auto it = made_under_.find(root);
  return it == made_under_.end() ? 0 : it->second;
}

void KeyRing::touch(const core::KeyId& id, TimestampNs at) {
  std::lock_guard lock(last_used_mu_);
  last_used_[id] = at;
}

std::optional<TimestampNs> KeyRing::last_used(const core::KeyId& id) const {
  std::lock_guard lock(last_used_mu_);
  const auto it = last_used_.find(id);
  if (it == last_used_.end()) return std::nullopt;
  return it->second;
}

}  // namespace oee::api
