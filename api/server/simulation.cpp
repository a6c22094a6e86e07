#include "api/server/simulation.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <random>
#include <stdexcept>

#include "core/domain/mix.h"
#include "core/domain/order.h"
#include "core/wire/sim_record.h"

namespace oee::api {

namespace {

// The time the simulation had reached: the newest order event's, or a
// virtual clock's start, whichever the log holds last. API keys' events
// carry the wall clock's time and are passed over. Reads back at most so far.
TimestampNs last_simulated_time(const eventlog::LogPartitionReader& log) {
  constexpr std::uint64_t kWindow = 1024, kMostRead = 64 * kWindow;
  Seq end = log.head();
  for (std::uint64_t read = 0; end.value > 0 && read < kMostRead; read += kWindow) {
    const Seq from{end.value > kWindow ? end.value - kWindow + 1 : 1};
    auto window = log.read(from, end.value - from.value + 1);
    if (!window) throw std::runtime_error("cannot read the log for the virtual clock's time: " + window.error().message());
    for (auto r = window->rbegin(); r != window->rend(); ++r) {
      if (core::is_order_event_type(r->type)) return r->ts;
      if (const auto started = core::decode_simulation_started(*r); started && started->clock_start.value != 0) {
        return started->clock_start;
      }
    }
    end = Seq{from.value - 1};
  }
  return TimestampNs{0};
}

}  // namespace

Simulation start_simulation(const ServerOptions& o, const eventlog::LogPartitionReader& log) {
  Simulation s;
  const bool virtual_clock = o.sim_clock == SimClockKind::virtual_clock;
  s.seed_given = o.sim_seed.has_value();
  if (o.sim_seed) {
    s.seed = o.sim_seed;
  } else if (virtual_clock) {
    s.seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  }
  if (!virtual_clock) return s;
  s.clock = std::make_unique<core::VirtualClock>(std::max(kVirtualEpoch, last_simulated_time(log)));
  s.clock->install();
  return s;
}

bool record_simulation(const ServerOptions& o, const Simulation& s, eventlog::EventLogWriter& log) {
  if (!s.seed) return true;
  core::SimulationStarted started;
  started.seed = *s.seed;
  started.seed_given = s.seed_given;
  started.clock = std::string(sim_clock_name(o.sim_clock));
  started.profile = std::string(core::sim_profile_name(o.sim));
  started.fail_rate_ppm = static_cast<std::uint32_t>(o.fail_rate * 1'000'000 + 0.5);
  auto command = core::simulation_started_command(started);
  if (s.clock) {
    started.clock_start = s.clock->now();
    command = core::simulation_started_command(started);
    command.ts = started.clock_start;  // the simulation's time, like its orders' events
  }
  auto done = std::make_shared<std::promise<eventlog::Result<eventlog::AppendOutcome>>>();
  auto appended = done->get_future();
  log.append(std::move(command),
             [done](eventlog::Result<eventlog::AppendOutcome> r) { done->set_value(std::move(r)); });
  const auto outcome = appended.get();
  if (!outcome) {
    std::fprintf(stderr, "oee-server: cannot record the simulation's seed in the log: %s\n",
                 outcome.error().message().c_str());
    return false;
  }
  return true;
}

std::function<OrderId()> seeded_order_ids(std::uint64_t seed, Seq head) {
  auto next = std::make_shared<std::atomic<std::uint64_t>>(0);
  const std::uint64_t base = core::mix(seed ^ core::mix(head.value));
  return [next, base] {
    const std::uint64_t n = next->fetch_add(1);
    const std::uint64_t hi = core::mix(base + 2 * n), lo = core::mix(base + 2 * n + 1);
    OrderId::Bytes b;
    std::memcpy(b.data(), &hi, 8);
    std::memcpy(b.data() + 8, &lo, 8);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4, as a random id
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
    return OrderId{b};
  };
}

}  // namespace oee::api
