#include "core/engine/engine_metrics.h"

#include <fmt/format.h>

#include "eventlog/prometheus.h"

namespace oee::core {

void EngineMetrics::render(std::string& out) const {
  out += "# HELP oee_events_total Events appended to the log, by the status they lead to.\n";
  out += "# TYPE oee_events_total counter\n";
  for (int s = 1; s < kStatusCount; ++s) {
    out += fmt::format("oee_events_total{{status=\"{}\"}} {}\n", status_name(static_cast<Status>(s)),
                       events_by_status[static_cast<std::size_t>(s)].load());
  }
  out += "# HELP oee_orders_terminal_total Orders that reached a terminal status, by status and venue.\n";
  out += "# TYPE oee_orders_terminal_total counter\n";
  static constexpr std::string_view kOutcome[] = {"confirmed", "failed"};
  static constexpr std::string_view kVenue[] = {"raydium", "meteora", "none"};
  for (std::size_t o = 0; o < 2; ++o) {
    for (std::size_t v = 0; v < 3; ++v) {
      out += fmt::format("oee_orders_terminal_total{{status=\"{}\",dex=\"{}\"}} {}\n", kOutcome[o], kVenue[v],
                         terminal_by_venue[o][v].load());
    }
  }
  out += "# HELP oee_stage_duration_seconds Time an order spends in each stage of an attempt.\n";
  out += "# TYPE oee_stage_duration_seconds histogram\n";
  for (std::size_t i = 0; i < stage_seconds.size(); ++i) {
    stage_seconds[i].render(out, "oee_stage_duration_seconds", fmt::format("stage=\"{}\"", kStageNames[i]));
  }
  out += "# HELP oee_order_latency_seconds Submit to terminal status.\n";
  out += "# TYPE oee_order_latency_seconds histogram\n";
  submit_to_terminal_seconds.render(out, "oee_order_latency_seconds");
  out += "# HELP oee_order_overhead_seconds Submit to durable terminal status, minus the simulated latency and "
         "retry backoff waited out on purpose.\n";
  out += "# TYPE oee_order_overhead_seconds histogram\n";
  engine_overhead_seconds.render(out, "oee_order_overhead_seconds");
  append_metric(out, "oee_orders_in_flight", "gauge", "Orders being worked on by the executor.", orders_in_flight.load());
  append_metric(out, "oee_executor_append_failures_total", "counter", "Executor appends the log refused (each is retried).", append_failures.load());
  append_metric(out, "oee_executor_chain_unavailable_total", "counter", "Transactions the simulated chain could not store (retried).", chain_unavailable.load());
  append_metric(out, "oee_orders_paused", "gauge", "Orders waiting to try a step again that the log or the chain could not store.", orders_paused.load());
  append_metric(out, "oee_orders_waiting", "gauge", "Orders queued behind the concurrency limit.", orders_waiting.load());
}

}  // namespace oee::core
