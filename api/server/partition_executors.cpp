#include "api/server/partition_executors.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/server/key_guards.h"
#include "api/server/serving.h"
#include "core/engine/log_audit.h"
#include "eventlog/partition_id_format.h"

namespace oee::api {

namespace {

constexpr std::chrono::seconds kExecutorStop{5};
// A takeover reads each unfinished order of the partition from the
// cluster, a network round trip each: many at once.
constexpr unsigned kResumeReaders = 16;
constexpr std::size_t kResumeOrdersPerReader = 4;

/// How long a node waits before it takes again a partition whose orders
/// it failed to resume `failures` times in a row: a lease, doubling up to
/// eight, so that a cause that lasts costs little and a passing one little
/// time.
std::chrono::milliseconds resume_backoff(std::chrono::milliseconds lease_ttl, unsigned failures) {
  return lease_ttl * (1U << std::min(failures - 1, 3U));
}

}  // namespace

/// One partition this node executes, and publishes to Redis.
struct PartitionExecutors::Executing {
  std::unique_ptr<eventlog::LogPartitionWriter> writer;  // the owner's: fenced once another node takes over
  std::unique_ptr<core::OrderStore> store;
  std::unique_ptr<core::Executor> executor;
  std::unique_ptr<Publisher> publisher;  // with --redis-url
};

PartitionExecutors::PartitionExecutors(Shared shared)
    : shared_(shared), resumes_to_fail_(shared.options.faults.fail_resumes) {}

PartitionExecutors::~PartitionExecutors() = default;

eventlog::jetstream::OwnershipListener PartitionExecutors::listener() {
  return {[this](PartitionId p, std::unique_ptr<eventlog::LogPartitionWriter> writer) { gained(p, std::move(writer)); },
          [this](PartitionId p) { lost(p); }};
}

void PartitionExecutors::gained(PartitionId p, std::unique_ptr<eventlog::LogPartitionWriter> writer) {
  const auto& o = shared_.options;
  auto e = std::make_shared<Executing>();
  e->writer = std::move(writer);
  e->store = std::make_unique<core::OrderStore>(*e->writer);
  core::ExecutorOptions run_options = executor_options(o);
  run_options.slice_gate = slice_gate(shared_.keys, shared_.limits);
  run_options.key_check = key_check(shared_.keys);
  e->executor = std::make_unique<core::Executor>(shared_.executor_ioc, *e->store, shared_.market, shared_.chain,
                                                 std::move(run_options), shared_.metrics);
  const auto* reader = e->writer.get();
  try {
    e->executor->start([reader, p, this] {
      if (resumes_to_fail_.fetch_sub(1) > 0)
        throw std::runtime_error(fmt::format("a failure injected into partition {}'s resume", p));
      return core::check_resumable(*reader, kResumeReaders, kResumeOrdersPerReader, true);
    });
  } catch (const std::exception& ex) {
    // The executor is subscribed already and may have work posted: it
    // stops like one whose partition was lost, and its store and writer
    // stay until it is idle.
    if (!shared_.cluster.partition(p).owned()) {
      // Taken over meanwhile (this node was paused, say): what the check
      // read came from two owners' states, and says nothing of the log.
      // The lost partition is given back as any other (`lost` follows).
      spdlog::warn("partition {}: another node took it over while this node resumed its orders; that node "
                   "resumes them",
                   p);
      const bool stopped = e->executor->stop(kExecutorStop);
      retire(std::move(e), stopped);
      return;
    }
    // The partition goes back to the cluster, so that it is not held
    // without being executed. /health says why before the log does, so
    // whoever reads the log line finds the partition's problem there too.
    const auto pause = resume_backoff(o.lease_ttl, ++resume_failures_[p]);
    const std::string why = fmt::format("partition {}: cannot resume its orders ({}); released, taken again after {} ms "
                                        "at the earliest",
                                        p, ex.what(), pause.count());
    {
      std::lock_guard lock(mu_);
      not_executed_[p] = NotExecuted{why, std::chrono::steady_clock::now() + pause + o.lease_ttl};
    }
    spdlog::error("{}", why);
    const bool stopped = e->executor->stop(kExecutorStop);
    retire(std::move(e), stopped);
    shared_.cluster.release(p, pause);
    return;
  }
  resume_failures_.erase(p);
  // Revoked or expired while another node executed the partition.
  for (const auto& [id, why] : dead_keys(shared_.keys, TimestampNs::now())) e->executor->cancel_orders_of(id, why);
  if (o.redis) {
    e->publisher = std::make_unique<Publisher>(shared_.cluster.partition(p), PublisherOptions{*o.redis});
    e->publisher->start();
  }
  std::lock_guard lock(mu_);
  reap_retired();
  not_executed_.erase(p);
  executing_[p] = std::move(e);
}

void PartitionExecutors::lost(PartitionId p) {
  std::shared_ptr<Executing> e;
  {
    std::lock_guard lock(mu_);
    const auto it = executing_.find(p);
    if (it == executing_.end()) return;
    e = std::move(it->second);
    executing_.erase(it);
  }
  const bool stopped = e->executor->stop(kExecutorStop);
  if (!stopped) spdlog::warn("partition {}: some orders were mid-step; whoever executes it next resumes them", p);
  if (e->publisher) e->publisher->stop();
  retire(std::move(e), stopped);
}

void PartitionExecutors::retire(std::shared_ptr<Executing> e, bool stopped) {
  std::lock_guard lock(mu_);
  reap_retired();
  if (!stopped || !e->executor->idle()) retiring_.push_back(std::move(e));
}

void PartitionExecutors::reap_retired() {
  std::erase_if(retiring_, [](const std::shared_ptr<Executing>& e) { return e->executor->idle(); });
}

std::shared_ptr<core::Executor> PartitionExecutors::executor_of(PartitionId partition) const {
  std::lock_guard lock(mu_);
  const auto it = executing_.find(partition);
  if (it == executing_.end()) return nullptr;
  return std::shared_ptr<core::Executor>(it->second, it->second->executor.get());
}

OrderId PartitionExecutors::new_order_id() const {
  // Bounded, for a submit waits on it; the odds that every draw misses are
  // in docs/SCALING.md ("Where a new order lands").
  constexpr int kIdDraws = 64;
  std::lock_guard lock(mu_);
  OrderId id = OrderId::random();
  if (executing_.empty()) return id;
  for (int draw = 1; draw < kIdDraws && !executing_.contains(shared_.cluster.partition_of(id)); ++draw)
    id = OrderId::random();
  return id;
}

std::vector<std::string> PartitionExecutors::problems() const {
  std::vector<std::string> out;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (const auto& [p, failed] : not_executed_)
    if (now < failed.until) out.push_back(failed.why);
  return out;
}

PublisherStatus PartitionExecutors::publishing(std::size_t held) const {
  std::vector<PublisherStatus> each;
  {
    std::lock_guard lock(mu_);
    for (const auto& [p, e] : executing_)
      if (e->publisher) each.push_back(e->publisher->status());
  }
  // A partition taken whose publisher has yet to start is not published.
  if (each.size() < held) each.emplace_back();
  PublisherStatus out;
  out.connected = true;
  for (const auto& s : each) {
    out.connected = out.connected && s.connected;
    out.lag_events += s.lag_events;
    out.messages += s.messages;
    out.reconnects += s.reconnects;
    if (out.last_error.empty()) out.last_error = s.last_error;
  }
  return out;
}

void PartitionExecutors::cancel_orders_of(const core::KeyId& key, const std::string& why) {
  std::lock_guard lock(mu_);
  for (const auto& [p, e] : executing_) e->executor->cancel_orders_of(key, why);
}

void PartitionExecutors::poke() {
  std::lock_guard lock(mu_);
  for (const auto& [p, e] : executing_) e->executor->poke();
}

}  // namespace oee::api
