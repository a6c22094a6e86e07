#pragma once
// Rate limits: a token bucket per API key for its submits and another for
// its reads, and per client address for requests without a key and for
// failed authentications (so guessing keys costs the guesser, not us).
// Thread-safe.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "api/auth/access.h"
#include "core/domain/api_key.h"

namespace oee::api {

using SteadyTime = std::chrono::steady_clock::time_point;

/// What a limited request is told: allowed or not, and the RateLimit-*
/// header values (whole seconds, rounded up).
struct RateDecision {
  bool allowed = true;
  std::uint32_t limit = 0;      // the burst
  std::uint32_t remaining = 0;  // requests left now
  std::uint32_t reset_s = 0;    // until the bucket is full again
  std::uint32_t retry_after_s = 0;  // until one more request is allowed (0 when allowed)
};

/// `burst` requests at once, refilled at `per_second`; counted in
/// billionths of a request, so no floating point.
class TokenBucket {
 public:
  TokenBucket(core::RateLimit limit, SteadyTime now);
  [[nodiscard]] RateDecision take(core::RateLimit limit, SteadyTime now);
  /// Whether it has been refilled to the brim by `now` (an idle bucket).
  [[nodiscard]] bool full_at(core::RateLimit limit, SteadyTime now) const;
  /// What it holds at `now`, in billionths of a request.
  [[nodiscard]] std::uint64_t level_at(core::RateLimit limit, SteadyTime now) const;

 private:
  void refill(core::RateLimit limit, SteadyTime now);
  std::uint64_t nano_tokens_;
  SteadyTime at_;
};

/// Whom an address belongs to, for every per-client limit: an IPv6 client
/// is given its /64 (it can pick any address in it), an IPv4 one (mapped or
/// not) its address.
[[nodiscard]] boost::asio::ip::address client_of(const boost::asio::ip::address& a);
struct ClientAddressHash {
  std::size_t operator()(const boost::asio::ip::address& a) const noexcept;
};

class RateLimiter {
 public:
  enum class Kind : std::uint8_t { writes, reads };

  /// The key's own limit for this kind of request.
  [[nodiscard]] RateDecision key(const core::KeyId& id, Kind kind, core::RateLimit limit, SteadyTime now);
  /// A write of key `id`, whose tree's root is `tree` (KeyRing::tree_of):
  /// paid from the key's own write bucket and, for a key made under
  /// another, from the root's too, which every key of the tree shares (so
  /// keys a key makes add nothing to what it may write). The tighter
  /// decision of the two.
  [[nodiscard]] RateDecision write(const core::KeyId& id, core::RateLimit limit, const core::KeyId& tree,
                                   core::RateLimit tree_limit, SteadyTime now);
  /// A request that carries no key, on a route that needs none (per
  /// address, an IPv6 one per /64).
  [[nodiscard]] RateDecision anonymous(const boost::asio::ip::address& from, SteadyTime now);
  /// Whether `from` has failed to authenticate too often for another
  /// failure to be answered now (then it gets 429 until its bucket
  /// refills); a valid key is never asked this. An IPv6 address counts
  /// against its /64.
  [[nodiscard]] RateDecision failing(const boost::asio::ip::address& from, SteadyTime now);
  /// Counts a failed authentication from `from` under `why`, and takes
  /// from its bucket (but for `unavailable`: the failure is the server's).
  void failed(const boost::asio::ip::address& from, AuthFailure why, SteadyTime now);

  static constexpr core::RateLimit kAnonymous{20, 100};
  static constexpr core::RateLimit kFailures{1, 20};

  [[nodiscard]] std::uint64_t failures(AuthFailure why) const { return failures_[static_cast<std::size_t>(why)]; }
  [[nodiscard]] std::uint64_t limited() const { return limited_.load(); }

 private:
  struct KeyBucket {
    core::KeyId id;
    Kind kind;
    bool operator==(const KeyBucket&) const = default;
  };
  struct KeyBucketHash {
    std::size_t operator()(const KeyBucket& k) const noexcept {
      return OrderIdHash{}(k.id) ^ static_cast<std::size_t>(k.kind);
    }
  };
  using ByAddress = std::unordered_map<boost::asio::ip::address, TokenBucket, ClientAddressHash>;

  // The bucket of `from`, made if new (with room made for it); under mu_.
  TokenBucket& bucket_for(ByAddress& buckets, const boost::asio::ip::address& from, core::RateLimit limit,
                          SteadyTime now);
  RateDecision counted(RateDecision d);
  void log_failure(const boost::asio::ip::address& from, AuthFailure why, SteadyTime now);  // under mu_

  std::mutex mu_;
  std::unordered_map<KeyBucket, TokenBucket, KeyBucketHash> keys_;
  ByAddress anonymous_;
  ByAddress failing_;
  std::array<std::atomic<std::uint64_t>, kAuthFailures.size()> failures_{};
  std::atomic<std::uint64_t> limited_{0};
  static constexpr std::chrono::seconds kFailureLogEvery{1};
  SteadyTime last_failure_logged_{};
  std::uint64_t failures_logged_ = 0;
  std::uint64_t failures_unlogged_ = 0;
};

}  // namespace oee::api
