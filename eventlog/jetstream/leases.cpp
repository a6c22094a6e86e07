#include "eventlog/jetstream/leases.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string LeaseHolder::encode() const {
  return json::serialize(json::object{{"node", node}, {"incarnation", incarnation}});
}

std::optional<LeaseHolder> LeaseHolder::decode(std::string_view value) {
  std::error_code ec;
  const auto parsed = json::parse(value, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& o = parsed.get_object();
  const auto* node = o.if_contains("node");
  const auto* incarnation = o.if_contains("incarnation");
  if (node == nullptr || !node->is_string() || incarnation == nullptr || !incarnation->is_string()) return std::nullopt;
  return LeaseHolder{std::string(node->get_string()), std::string(incarnation->get_string())};
}

Result<std::optional<LeaseHolder>> lease_holder(KvBucket& leases, std::string_view key) {
  auto entry = leases.get(key);
  if (!entry) return entry.error();
  if (!*entry) return std::optional<LeaseHolder>{};
  return LeaseHolder::decode((*entry)->value);
}

struct LeaseKeeper::Impl {
  struct Lease {
    bool held = false;
    std::uint64_t revision = 0;
    Clock::time_point renewed{};     // when the last successful write was sent
    Clock::time_point not_before{};  // dropped: not taken again before this
  };

  Impl(KvBucket b, LeaseOptions o, Listener l)
      : bucket(std::move(b)), options(std::move(o)), listener(std::move(l)), value(options.self.encode()) {
    for (const auto& key : options.keys) leases.emplace(key, Lease{});
  }

  KvBucket bucket;
  const LeaseOptions options;
  std::uint64_t member_revision = 0;  // keeper thread only
  std::atomic<std::size_t> live_members{1};
  const Listener listener;
  const std::string value;
  mutable std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, Lease> leases;  // guarded by mu
  std::thread thread;

  std::size_t held_count() const {
    std::size_t n = 0;
    for (const auto& [key, lease] : leases) n += lease.held ? 1 : 0;
    return n;
  }

  /// Applies a request's outcome, unless the lease was dropped meanwhile.
  void settle(const std::string& key, bool was_held, std::uint64_t revision, Clock::time_point sent, bool held) {
    bool changed = false;
    {
      std::lock_guard lock(mu);
      auto& lease = leases[key];
      if (lease.held != was_held) return;  // dropped while the request was out
      changed = lease.held != held;
      lease.held = held;
      if (held) {
        lease.revision = revision;
        lease.renewed = sent;
      }
    }
    if (changed) {
      spdlog::info("lease {}: {} by {}", key, held ? "taken" : "lost", options.self.node);
      listener(key, held);
    }
  }

  void renew(const std::string& key, const Lease& lease) {
    const auto sent = Clock::now();
    auto written = bucket.update(key, value, lease.revision);
    if (written) return settle(key, true, *written, sent, true);
    const bool refused = written.error() == JsErrc::wrong_last_sequence || written.error() == JsErrc::exists;
    // Unrenewed for two thirds of the ttl: given up before it can expire,
    // so this node has stopped by the time another may take it over (the
    // next round would come too late).
    if (refused || sent - lease.renewed >= options.ttl * 2 / 3) settle(key, true, 0, sent, false);
  }

  void take(const std::string& key) {
    const auto sent = Clock::now();
    auto written = bucket.create(key, value);
    if (written) return settle(key, false, *written, sent, true);
    if (written.error() != JsErrc::exists) return;
    // Ours already: a create whose answer was lost.
    auto entry = bucket.get(key);
    if (entry && *entry && LeaseHolder::decode((*entry)->value) == options.self)
      settle(key, false, (*entry)->revision, sent, true);
  }

  /// Keeps this node's membership alive and returns how many keys it may
  /// hold now.
  std::size_t share() {
    if (options.member_prefix.empty()) return options.max_held;
    const auto key = options.member_prefix + options.self.node;
    auto written = member_revision == 0 ? bucket.create(key, value) : bucket.update(key, value, member_revision);
    if (written) {
      member_revision = *written;
    } else if (written.error() == JsErrc::exists || written.error() == JsErrc::wrong_last_sequence) {
      // Expired and taken again, or ours from a create whose answer was
      // lost: start over next round.
      member_revision = 0;
    }
    if (auto members = bucket.keys(options.member_prefix); members && !members->empty())
      live_members.store(members->size(), std::memory_order_relaxed);
    const std::size_t live = std::max<std::size_t>(live_members.load(std::memory_order_relaxed), 1);
    return std::min(options.max_held, (options.keys.size() + live - 1) / live);
  }

  /// Gives up one lease when holding more than `share`.
  void shed(std::size_t share) {
    std::string key;
    std::uint64_t revision = 0;
    {
      std::lock_guard lock(mu);
      if (held_count() <= share) return;
      for (auto it = options.keys.rbegin(); it != options.keys.rend(); ++it) {
        auto& lease = leases[*it];
        if (!lease.held) continue;
        key = *it;
        revision = lease.revision;
        lease.held = false;
        lease.not_before = Clock::now() + options.ttl;  // let the others take it
        break;
      }
    }
    if (key.empty()) return;
    spdlog::info("lease {}: released by {} (more than its share of {})", key, options.self.node, share);
    listener(key, false);
    (void)bucket.erase(key, revision);
  }

  void round() {
    const auto fair = share();
    shed(fair);
    for (const auto& key : options.keys) {
      Lease lease;
      std::size_t held = 0;
      {
        std::lock_guard lock(mu);
        if (stopping) return;
        lease = leases[key];
        held = held_count();
      }
      if (lease.held) {
        renew(key, lease);
      } else if (held < fair && Clock::now() >= lease.not_before) {
        take(key);
      }
    }
  }

  void run() {
    const auto period = std::max(options.ttl / 3, std::chrono::milliseconds(10));
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      round();
      lock.lock();
      wake.wait_for(lock, period, [&] { return stopping; });
    }
  }
};

LeaseKeeper::LeaseKeeper(KvBucket leases, LeaseOptions options, Listener listener)
    : impl_(std::make_unique<Impl>(std::move(leases), std::move(options), std::move(listener))) {}

LeaseKeeper::~LeaseKeeper() { stop(false); }

void LeaseKeeper::start() {
  if (!impl_->thread.joinable()) impl_->thread = std::thread([this] { impl_->run(); });
}

void LeaseKeeper::stop(bool release) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (!release) return;
  std::map<std::string, Impl::Lease> held;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [key, lease] : impl_->leases)
      if (std::exchange(lease.held, false)) held.emplace(key, lease);
  }
  for (const auto& [key, lease] : held) (void)impl_->bucket.erase(key, lease.revision);
  if (!impl_->options.member_prefix.empty() && impl_->member_revision != 0)
    (void)impl_->bucket.erase(impl_->options.member_prefix + impl_->options.self.node, impl_->member_revision);
}

std::size_t LeaseKeeper::members() const { return impl_->live_members.load(std::memory_order_relaxed); }

void LeaseKeeper::drop(const std::string& key, std::chrono::milliseconds pause) {
  std::lock_guard lock(impl_->mu);
  auto& lease = impl_->leases[key];
  lease.held = false;
  lease.not_before = Clock::now() + pause;
}

bool LeaseKeeper::fresh(const std::string& key) const {
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->leases.find(key);
  return it != impl_->leases.end() && it->second.held &&
         Clock::now() - it->second.renewed < impl_->options.ttl * 2 / 3;
}

void LeaseKeeper::release(const std::string& key, std::chrono::milliseconds pause) {
  std::uint64_t revision = 0;
  {
    std::lock_guard lock(impl_->mu);
    auto& lease = impl_->leases[key];
    if (!std::exchange(lease.held, false)) return;
    revision = lease.revision;
    lease.not_before = Clock::now() + pause;
  }
  // By revision: a lease another node has taken meanwhile stays its own.
  (void)impl_->bucket.erase(key, revision);
}

std::vector<std::string> LeaseKeeper::held() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [key, lease] : impl_->leases)
    if (lease.held) out.push_back(key);
  return out;
}

}  // namespace oee::eventlog::jetstream
