#include "eventlog/jetstream/cluster.h"

#include <pthread.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/leases.h"
#include "eventlog/partition_id_format.h"

namespace oee::eventlog::jetstream {

namespace {

using namespace std::chrono_literals;

constexpr auto kMemberPrefix = "node.";
constexpr auto kSetUpWait = 30s;
constexpr std::size_t kOpenedAtOnce = 8;

KvBucket open_bucket(Connection& connection, const std::string& name, std::chrono::milliseconds ttl) {
  BucketSpec spec;
  spec.name = name;
  spec.ttl = ttl;
  auto bucket = KvBucket::open(connection, spec, kSetUpWait);
  // A tool opens, never creates: a cluster no node has written to has none.
  if (!bucket && bucket.error() == JsErrc::not_found)
    throw std::runtime_error(fmt::format(
        "the NATS cluster holds no oee log yet (no bucket {}): start an oee-server node on it first", name));
  if (!bucket)
    throw std::runtime_error(fmt::format("cannot create or open bucket {} in the NATS cluster: {}", name,
                                         bucket.error().message()));
  return std::move(*bucket);
}

std::optional<PartitionId> partition_of_key(std::string_view key) {
  if (!key.starts_with('p')) return std::nullopt;
  std::uint32_t p = 0;
  const auto [end, ec] = std::from_chars(key.data() + 1, key.data() + key.size(), p);
  if (ec != std::errc{} || end != key.data() + key.size()) return std::nullopt;
  return PartitionId{p};
}

/// The cluster's id, made by the first node: tells this cluster's seqs
/// from another's (EventLogReader::id()).
std::string cluster_id(KvBucket& meta) {
  const auto fresh = OrderId::random().str();
  if (meta.create("cluster_id", fresh)) return fresh;
  auto entry = meta.get("cluster_id");
  for (int tries = 0; (!entry || !*entry) && tries < 50; ++tries) {  // a moment after the bucket was made
    std::this_thread::sleep_for(200ms);
    if (meta.create("cluster_id", fresh)) return fresh;
    entry = meta.get("cluster_id");
  }
  if (!entry || !*entry) throw std::runtime_error("cannot read the cluster's id from bucket oee-meta");
  return (*entry)->value;
}

}  // namespace

struct Cluster::Impl {
  ClusterOptions options;
  std::string incarnation = OrderId::random().str();
  std::unique_ptr<Connection> connection;
  std::string id;
  std::optional<KvBucket> leases;
  std::vector<std::shared_ptr<PartitionLog>> logs;
  // Made by open() (a reader's is never started), before the partitions,
  // whose lease checks share it; started by start().
  std::shared_ptr<LeaseKeeper> keeper;
  OwnershipListener listener;  // set by start(), before the keeper starts

  // Ownership changes: each partition's in the order its lease changed,
  // one at a time; gains on one thread and losses on another, so that a
  // slow gain (a takeover, then the engine resuming the partition's orders)
  // never delays the loss of another partition.
  mutable std::mutex mu;
  std::condition_variable wake;
  std::map<PartitionId, std::deque<bool>> changes;  // partition -> held, oldest first; under mu
  std::set<PartitionId> changing;                   // a change of these runs now; under mu
  std::set<PartitionId> owned;                      // under mu
  bool stopping = false;                              // under mu
  bool stopped = false;                               // stop()'s caller only
  std::thread gainer;                                 // runs work(true)
  std::thread loser;                                  // runs work(false)

  // The partitions and the keeper use the connection: they go first,
  // whatever the order of the fields.
  ~Impl() {
    logs.clear();
    keeper.reset();
  }

  void post(PartitionId p, bool held) {
    {
      std::lock_guard lock(mu);
      changes[p].push_back(held);
    }
    wake.notify_all();
  }

  /// A partition whose next change is a gain (`gains`) or a loss and is
  /// not running (under mu).
  [[nodiscard]] std::optional<PartitionId> next_change(bool gains) const {
    for (const auto& [p, queued] : changes)
      if (queued.front() == gains && !changing.contains(p)) return p;
    return std::nullopt;
  }

  void fenced(PartitionId p) {
    keeper->drop(lease_key(p), options.lease_ttl);
    post(p, false);
  }

  void gain(PartitionId p) {
    {
      std::lock_guard lock(mu);
      if (owned.contains(p)) return;
    }
    auto writer = logs[p.value]->take_over();
    if (!writer) {
      spdlog::warn("partition {}: cannot take it over ({}); leaving it to another node", p,
                   writer.error().message());
      keeper->drop(lease_key(p), options.lease_ttl);
      return;
    }
    {
      std::lock_guard lock(mu);
      owned.insert(p);
    }
    spdlog::info("partition {}: executed by this node ({}) from seq {}", p, options.node, logs[p.value]->head().value);
    if (listener.gained) listener.gained(p, std::move(*writer));
  }

  void lose(PartitionId p) {
    {
      std::lock_guard lock(mu);
      if (owned.erase(p) == 0) return;
    }
    logs[p.value]->release();
    spdlog::info("partition {}: no longer executed by this node ({})", p, options.node);
    if (listener.lost) listener.lost(p);
  }

  /// Runs the gains (`gains`) or the losses, until stop().
  void work(bool gains) {
    std::unique_lock lock(mu);
    for (;;) {
      std::optional<PartitionId> next;
      wake.wait(lock, [&] { return stopping || (next = next_change(gains)).has_value(); });
      if (stopping) return;
      const PartitionId p = *next;
      auto queued = changes.find(p);
      queued->second.pop_front();
      if (queued->second.empty()) changes.erase(queued);
      changing.insert(p);
      lock.unlock();
      if (gains) {
        gain(p);
      } else {
        lose(p);
      }
      lock.lock();
      changing.erase(p);
      wake.notify_all();  // the partition's next change may be the other thread's
    }
  }

  /// A node of the same name must not run twice; one that died leaves its
  /// membership behind for up to a TTL, so wait that long for it to go.
  void check_unique_name() {
    const auto key = std::string(kMemberPrefix) + options.node;
    const auto deadline = std::chrono::steady_clock::now() + 2 * options.lease_ttl + 1s;
    for (;;) {
      auto holder = lease_holder(*leases, key);
      if (holder && !*holder) return;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(fmt::format(
            "another node named '{}' is running in this cluster: give each node its own --node (OEE_NODE)",
            options.node));
      std::this_thread::sleep_for(200ms);
    }
  }
};

Cluster::Cluster(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Cluster::~Cluster() { stop(); }

std::unique_ptr<Cluster> Cluster::open(ClusterOptions options) {
  if (options.partitions == 0 || options.partitions > kMaxPartitions)
    throw std::runtime_error(fmt::format("--partitions must be between 1 and {}", kMaxPartitions));
  if (options.node.empty()) throw std::runtime_error("a cluster node needs a name (--node, OEE_NODE)");
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  auto& o = impl->options;
  if (o.connect.name.empty()) o.connect.name = o.node;
  impl->connection = Connection::connect(o.connect);
  auto meta = open_bucket(*impl->connection, kMetaBucket, {});
  if (o.reader) {
    o.partitions = recorded_partitions(meta);
  } else {
    (void)record_partitions(meta, o.partitions);
  }
  impl->id = cluster_id(meta);
  impl->leases.emplace(open_bucket(*impl->connection, kLeaseBucket, o.lease_ttl));
  if (!o.reader) impl->check_unique_name();
  const std::weak_ptr<Impl> weak = impl;
  LeaseOptions lo;
  lo.self = LeaseHolder{o.node, impl->incarnation};
  lo.ttl = o.lease_ttl;
  for (const PartitionId p : each_partition(o.partitions)) lo.keys.push_back(lease_key(p));
  lo.member_prefix = kMemberPrefix;
  impl->keeper = std::make_shared<LeaseKeeper>(*impl->leases, std::move(lo), [weak](const std::string& key, bool held) {
    const auto p = partition_of_key(key);
    if (auto self = weak.lock(); self && p) self->post(*p, held);
  });
  // Partitions are opened a few at a time: each waits on the NATS cluster
  // (its stream made and given a leader, its checkpoint read), and one
  // after another a node's start would wait for each in turn.
  std::vector<std::future<std::shared_ptr<PartitionLog>>> opening;
  for (const PartitionId p : each_partition(o.partitions)) {
    PartitionLogOptions po;
    po.partition = p;
    po.node = o.node;
    po.incarnation = impl->incarnation;
    po.fold = o.fold;
    po.append_timeout = o.append_timeout;
    po.on_fenced = [weak, p] {
      if (auto self = weak.lock()) self->fenced(p);
    };
    po.log_id = impl->id;
    po.meta = meta;
    po.checkpoint_events = o.checkpoint_events;
    po.checkpoint_after = o.checkpoint_after;
    po.check_forwarded = o.check_forwarded;
    po.lose_ack = o.lose_ack;
    po.heard_everywhere = o.heard_everywhere;
    po.lease_fresh = [keeper = impl->keeper, key = lease_key(p)] { return keeper->fresh(key); };
    if (opening.size() == kOpenedAtOnce) {
      for (auto& log : opening) impl->logs.push_back(log.get());
      opening.clear();
    }
    opening.push_back(std::async(std::launch::async, [&connection = *impl->connection, po = std::move(po)]() mutable {
      return open_partition(connection, std::move(po));
    }));
  }
  for (auto& log : opening) impl->logs.push_back(log.get());
  return std::unique_ptr<Cluster>(new Cluster(std::move(impl)));
}

void Cluster::start(OwnershipListener listener) {
  auto& impl = *impl_;
  impl.listener = std::move(listener);
  // Each thread holds the state it works on; stop() joins them.
  impl.gainer = std::thread([self = impl_] {
    pthread_setname_np(pthread_self(), "oee-own-gain");
    self->work(true);
  });
  impl.loser = std::thread([self = impl_] {
    pthread_setname_np(pthread_self(), "oee-own-lose");
    self->work(false);
  });
  impl.keeper->start();
}

void Cluster::stop() {
  auto& impl = *impl_;
  if (std::exchange(impl.stopped, true)) return;
  impl.keeper->stop(false);
  {
    std::lock_guard lock(impl.mu);
    impl.stopping = true;
    impl.changes.clear();
  }
  impl.wake.notify_all();
  if (impl.gainer.joinable()) impl.gainer.join();
  if (impl.loser.joinable()) impl.loser.join();
  std::set<PartitionId> owned;
  {
    std::lock_guard lock(impl.mu);
    owned = impl.owned;
  }
  for (const auto p : owned) impl.lose(p);
  impl.keeper->stop(true);  // the leases go: others take over at once
  for (auto& log : impl.logs) (void)log->close();
}

std::uint32_t Cluster::partitions() const { return impl_->options.partitions; }

PartitionId Cluster::partition_of(const OrderId& order) const {
  return jetstream::partition_of(order, impl_->options.partitions);
}

PartitionLog& Cluster::partition(PartitionId p) { return *impl_->logs.at(p.value); }
const PartitionLog& Cluster::partition(PartitionId p) const { return *impl_->logs.at(p.value); }

void Cluster::release(PartitionId partition, std::chrono::milliseconds pause) {
  impl_->keeper->release(lease_key(partition), pause);
  impl_->post(partition, false);
}

std::vector<PartitionId> Cluster::owned() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->owned.begin(), impl_->owned.end()};
}

void Cluster::stop_following() {
  for (auto& log : impl_->logs) log->stop_following();
}

std::vector<PartitionView> Cluster::view() {
  std::vector<PartitionView> out;
  for (const PartitionId p : each_partition(impl_->options.partitions)) {
    PartitionView v;
    v.partition = p;
    if (auto holder = lease_holder(*impl_->leases, lease_key(p)); holder && *holder) v.owner = (*holder)->node;
    const auto& log = *impl_->logs[p.value];
    const auto here = log.head();
    v.last_seq = here;
    v.refused_appends = log.refused_appends();
    v.folded_here = log.folds();
    if (auto last = log.last_stored(); last) {
      v.last_seq = *last;
      // A partition this node does not fold is read from its owner: no lag.
      v.lag_events = v.folded_here && *last > here ? last->value - here.value : 0;
    }
    out.push_back(std::move(v));
  }
  return out;
}

const std::string& Cluster::node() const { return impl_->options.node; }

Connection& Cluster::connection() { return *impl_->connection; }

KvBucket Cluster::bucket(const std::string& name, std::chrono::milliseconds ttl) {
  return open_bucket(*impl_->connection, name, ttl);
}

}  // namespace oee::eventlog::jetstream
