#pragma once
// Counters and histograms of the order pipeline, rendered for /metrics.

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/domain/order.h"
#include "core/engine/recent_activity.h"
#include "eventlog/histogram.h"

namespace oee::core {

enum class Stage : std::uint8_t { queued, routing, building, submitted };
inline constexpr std::array<std::string_view, 4> kStageNames{"queued", "routing", "building", "submitted"};

struct EngineMetrics {
  /// Events appended, by the status they lead to.
  std::array<std::atomic<std::uint64_t>, kStatusCount> events_by_status{};
  /// Terminal orders by outcome (confirmed/failed/partially_filled) and venue
  /// (raydium/meteora/none; a split's: its larger leg's, a partial fill's: its filled leg's).
  std::array<std::array<std::atomic<std::uint64_t>, 3>, 3> terminal_by_venue{};
  std::array<metrics::Histogram, 4> stage_seconds{metrics::Histogram{metrics::Histogram::latency_buckets()},
                                                  metrics::Histogram{metrics::Histogram::latency_buckets()},
                                                  metrics::Histogram{metrics::Histogram::latency_buckets()},
                                                  metrics::Histogram{metrics::Histogram::latency_buckets()}};
  metrics::Histogram submit_to_terminal_seconds{metrics::Histogram::latency_buckets()};
  /// Submit to durable terminal status minus the simulated latency and retry
  /// backoff the executor waited out on purpose: the engine's own share
  /// (queueing, appends and fsyncs, scheduling). Orders resumed after a
  /// restart are not counted. Fine buckets: the target is milliseconds.
  metrics::Histogram engine_overhead_seconds{{0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008,
                                              0.009, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
                                              0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0}};
  std::atomic<std::int64_t> orders_in_flight{0};
  std::atomic<std::int64_t> orders_waiting{0};
  std::atomic<std::uint64_t> append_failures{0};     // executor appends the log refused
  std::atomic<std::uint64_t> chain_unavailable{0};   // transactions the simulated chain could not store
  std::atomic<std::int64_t> orders_paused{0};        // orders waiting to try such a step again
  /// Waiting orders that fired, and the time from the price they fired on
  /// being observed to their `triggered` event being durable.
  std::atomic<std::uint64_t> triggers{0};
  metrics::Histogram trigger_latency_seconds{metrics::Histogram::latency_buckets()};
  /// The last minutes, second by second (GET /api/stats).
  RecentActivity recent;

  /// Counts an order into (+1) or out of (-1) the waiting orders of its
  /// type and pair.
  void count_waiting(OrderType type, TokenId input, TokenId output, int delta);

  void render(std::string& out) const;

 private:
  mutable std::mutex waiting_mu_;
  std::map<std::tuple<OrderType, const Token*, const Token*>, std::int64_t> waiting_by_pair_;  // type, input, output
};

}  // namespace oee::core
