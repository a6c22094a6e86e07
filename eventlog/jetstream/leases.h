#pragma once
// Leases on named keys (a partition, the market) in the oee-leases bucket,
// for liveness only: a node works on what it holds a lease on, and another
// node takes it over once the lease expires. Safety does not rest on them
// (a paused holder may still believe it holds one): writes are fenced in
// the log itself.
//
// A lease is the key holding {node, incarnation}: taken with a create-only
// write, renewed by revision every ttl/3, and lost when a renewal is
// refused or none has succeeded for two thirds of a ttl (before it could
// expire). The bucket's TTL expires a lease whose holder stopped renewing;
// 2.9 sends no event then, so free keys are tried again every ttl/3.
//
// Fair shares: with member_prefix set, each node keeps a membership key
// alive and holds at most ceil(keys / live members); a node over its share
// (one joined) gives a lease up each round, so another takes it.
//
// Lifecycle: start() runs a thread until stop() or destruction; stop(true)
// deletes the keys still held (and the membership) so others take them at
// once.
// Threading: the listener runs on that thread, one call at a time; other
// methods are thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/jetstream/kv_bucket.h"

namespace oee::eventlog::jetstream {

struct LeaseHolder {
  std::string node;
  std::string incarnation;  // tells a restarted node from its earlier self
  [[nodiscard]] std::string encode() const;
  [[nodiscard]] static std::optional<LeaseHolder> decode(std::string_view value);
  bool operator==(const LeaseHolder&) const = default;
};

struct LeaseOptions {
  LeaseHolder self;
  std::chrono::milliseconds ttl{std::chrono::seconds(5)};
  std::vector<std::string> keys;  // what to hold, tried in this order
  /// Holds at most this many keys at once.
  std::size_t max_held = SIZE_MAX;
  /// Non-empty: the keeper also keeps key `<member_prefix><node>` alive, and
  /// holds at most its fair share of `keys`: their count divided by the
  /// live members, rounded up. Holding more (a node joined), it gives one
  /// up each round, so the work spreads over the nodes.
  std::string member_prefix{};
};

/// Who holds `key` now, if anyone.
[[nodiscard]] Result<std::optional<LeaseHolder>> lease_holder(KvBucket& leases, std::string_view key);

class LeaseKeeper {
 public:
  /// held: true once the lease is taken, false once it is lost or given up
  /// for a fair share (not on drop() or stop(), which the caller asked for).
  using Listener = std::function<void(const std::string& key, bool held)>;

  LeaseKeeper(KvBucket leases, LeaseOptions options, Listener listener);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void start();
  /// Ends the thread; `release`: deletes the leases still held first.
  void stop(bool release);
  /// Gives a lease up now (its holder found itself fenced): stops renewing
  /// it and does not take it again before `pause` has passed.
  void drop(const std::string& key, std::chrono::milliseconds pause);
  /// Gives a lease up now and deletes it, so another node may take it at
  /// once (this one failed to work on it); not taken again by this node
  /// before `pause` has passed.
  void release(const std::string& key, std::chrono::milliseconds pause);
  [[nodiscard]] std::vector<std::string> held() const;
  /// Held, and renewed within the last two thirds of a ttl as this
  /// node's clock reads now: false at once after a pause (SIGSTOP, a
  /// stalled VM) that outlasted the lease, before the keeper has run again.
  [[nodiscard]] bool fresh(const std::string& key) const;
  /// Live members as of the last round (1 without member_prefix).
  [[nodiscard]] std::size_t members() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::eventlog::jetstream
