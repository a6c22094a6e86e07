#pragma once
// The API keys the log holds, as its key events leave them: rebuilt from
// the log at start, kept current by each committed key event. Thread-safe.

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "core/domain/api_key.h"

namespace oee::api {

class KeyRing {
 public:
  /// Folds one committed key event. A second creation of a known key
  /// changes nothing, and a revocation that comes before its key's
  /// creation (a listing older than the feed) revokes the key when it
  /// comes: events may come twice, in any order, and nothing un-revokes a
  /// key. False if it changed nothing.
  bool apply(const core::KeyId& id, TimestampNs at, const core::KeyEvent& event);

  /// Each listener is called with a key's id when it is revoked (not while
  /// a lock is held), to end what the key has open. Added before the ring
  /// is shared.
  void on_revoked(std::function<void(const core::KeyId&)> listener) { on_revoked_.push_back(std::move(listener)); }

  /// Whether the ring holds every key: from the start on the core; on a
  /// gateway once the core has listed them. Until then an unknown key may
  /// be one the ring has not heard of yet.
  void mark_complete() { complete_.store(true); }
  [[nodiscard]] bool complete() const { return complete_.load(); }

  /// The key whose secret hashes to `hash`, live or not.
  [[nodiscard]] std::optional<core::ApiKey> find(const core::KeyHash& hash) const;
  [[nodiscard]] std::optional<core::ApiKey> get(const core::KeyId& id) const;
  /// Every key, revoked ones too, oldest first.
  [[nodiscard]] std::vector<core::ApiKey> list() const;

  /// The key at the root of `id`'s tree: the one the admin key made, from
  /// which `id` descends through the keys that made each other (itself if
  /// the admin key made it, or if its maker is not known here). Keys of
  /// one tree share their limits (docs/security.md, "Delegation").
  [[nodiscard]] core::KeyId tree_of(const core::KeyId& id) const;
  /// How many keys were made under `root` (a tree's root), directly or
  /// through keys it made, revoked ones included: each is kept in memory.
  [[nodiscard]] std::size_t made_under(const core::KeyId& root) const;

  /// Remembered in memory only: a restart forgets it.
  void touch(const core::KeyId& id, TimestampNs at);
  [[nodiscard]] std::optional<TimestampNs> last_used(const core::KeyId& id) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<core::ApiKey> keys_;  // in creation order
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> by_id_;
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> made_under_;  // per tree root
  [[nodiscard]] core::KeyId tree_of_locked(const core::KeyId& id) const;  // under mu_
  static constexpr std::size_t kMaxRevokedUnknown = 10'000;
  std::unordered_map<core::KeyId, TimestampNs, OrderIdHash> revoked_unknown_;  // revoked before known
  struct HashOfHash {
    std::size_t operator()(const core::KeyHash& h) const noexcept;
  };
  std::unordered_map<core::KeyHash, std::size_t, HashOfHash> by_hash_;
  mutable std::mutex last_used_mu_;  // apart: every authenticated request writes it
  std::unordered_map<core::KeyId, TimestampNs, OrderIdHash> last_used_;
  std::vector<std::function<void(const core::KeyId&)>> on_revoked_;
  std::atomic<bool> complete_{false};
};

}  // namespace oee::api
