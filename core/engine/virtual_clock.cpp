#include "core/engine/virtual_clock.h"

#include <atomic>
#include <future>
#include <memory>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace oee::core {

namespace {

std::atomic<VirtualClock*> g_installed{nullptr};

// How long one settle check or one fired wait may take before the clock
// moves on regardless (and says so): a stopped engine must not wedge the
// request that advances the clock.
constexpr std::chrono::milliseconds kSettleLimit{5000};

}  // namespace

VirtualClock::VirtualClock(TimestampNs start) : now_ns_(start.value) {}

VirtualClock::~VirtualClock() {
  VirtualClock* self = this;
  if (g_installed.compare_exchange_strong(self, nullptr)) install_sim_clock(nullptr);
  // Waits never fired nor cancelled die here, while the clock is whole: a
  // handler's destruction may end a SimTimer, which cancels on this clock.
  std::map<Key, Entry> left;
  {
    std::lock_guard lock(mu_);
    due_of_.clear();
    left.swap(waits_);
  }
  left.clear();
}

void VirtualClock::install() {
  g_installed.store(this);
  install_sim_clock(this);
}

VirtualClock* VirtualClock::installed() { return g_installed.load(); }

TimestampNs VirtualClock::now() const {
  std::lock_guard lock(mu_);
  return TimestampNs{now_ns_};
}

std::uint64_t VirtualClock::wait(TimestampNs at, boost::asio::io_context& ioc, Handler handler) {
  std::unique_lock lock(mu_);
  const std::uint64_t id = next_id_++;
  if (at.value <= now_ns_) {
    lock.unlock();
    boost::asio::post(ioc, [h = std::move(handler)] { h({}); });
    return id;
  }
  waits_.emplace(Key{at.value, id}, Entry{&ioc, std::move(handler)});
  due_of_.emplace(id, at.value);
  return id;
}

bool VirtualClock::cancel(std::uint64_t wait_id) {
  std::unique_lock lock(mu_);
  const auto due = due_of_.find(wait_id);
  if (due == due_of_.end()) return false;
  const auto it = waits_.find(Key{due->second, wait_id});
  Entry entry = std::move(it->second);
  waits_.erase(it);
  due_of_.erase(due);
  lock.unlock();
  boost::asio::post(*entry.ioc, [h = std::move(entry.handler)] { h(boost::asio::error::operation_aborted); });
  return true;
}

std::uint64_t VirtualClock::add_settle_check(SettleCheck check) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  settle_checks_.emplace_back(id, std::move(check));
  return id;
}

void VirtualClock::remove_settle_check(std::uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(settle_checks_, [id](const auto& c) { return c.first == id; });
}

std::size_t VirtualClock::pending() const {
  std::lock_guard lock(mu_);
  return waits_.size();
}

bool VirtualClock::settle() {
  std::vector<SettleCheck> checks;
  {
    std::lock_guard lock(mu_);
    for (const auto& c : settle_checks_) checks.push_back(c.second);
  }
  bool settled = true;
  for (const auto& check : checks) settled = check(kSettleLimit) && settled;
  return settled;
}

bool VirtualClock::fire(Entry entry) {
  // Waited for, so that what the handler sets off at this time is seen by
  // the settle checks before the clock moves on. A stopped io_context runs
  // nothing more: its part of the engine is stopping.
  const bool stopped = entry.ioc->stopped();
  auto done = std::make_shared<std::promise<void>>();
  auto ran = done->get_future();
  boost::asio::post(*entry.ioc, [h = std::move(entry.handler), done] {
    h({});
    done->set_value();
  });
  if (stopped) return true;
  if (ran.wait_for(kSettleLimit) != std::future_status::ready) {
    spdlog::warn("virtual clock: a timer's handler did not run within {} ms; moving on", kSettleLimit.count());
    return false;
  }
  return true;
}

VirtualClock::Advanced VirtualClock::advance(std::chrono::nanoseconds by) {
  std::lock_guard one_at_a_time(advancing_);
  Advanced out;
  out.settled = settle();
  std::int64_t target = 0;
  {
    std::lock_guard lock(mu_);
    target = now_ns_ + std::max<std::int64_t>(0, by.count());
  }
  for (;;) {
    Entry entry;
    {
      std::lock_guard lock(mu_);
      if (waits_.empty() || waits_.begin()->first.first > target) break;
      const auto it = waits_.begin();
      now_ns_ = std::max(now_ns_, it->first.first);
      due_of_.erase(it->first.second);
      entry = std::move(it->second);
      waits_.erase(it);
    }
    const bool ran = fire(std::move(entry));
    ++out.fired;
    out.settled = settle() && ran && out.settled;
  }
  {
    std::lock_guard lock(mu_);
    now_ns_ = std::max(now_ns_, target);
    out.now = TimestampNs{now_ns_};
  }
  return out;
}

}  // namespace oee::core
