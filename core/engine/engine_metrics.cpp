#include "core/engine/engine_metrics.h"

#include <fmt/format.h>

#include "eventlog/prometheus.h"

namespace oee::core {

void EngineMetrics::count_waiting(OrderType type, TokenId input, TokenId output, int delta) {
  std::lock_guard lock(waiting_mu_);
  // A sniper's target is a new token, named by whoever submitted it: one
  // series for all of them, so clients cannot grow the metrics at will.
  const Token* out = output.listed() ? &output.token() : nullptr;
  waiting_by_pair_[{type, &input.token(), out}] += delta;
}

void EngineMetrics::render(std::string& out) const {
  using metrics::append_header;
  append_header(out, "oee_events_total", "counter", "Events appended to the log, by the status they lead to.");
  for (int s = 1; s < kStatusCount; ++s) {
    metrics::append_sample(out, "oee_events_total", fmt::format("status=\"{}\"", status_name(static_cast<Status>(s))),
                           events_by_status[static_cast<std::size_t>(s)].load());
  }
  append_header(out, "oee_orders_terminal_total", "counter",
                "Orders that reached a terminal status, by status and venue.");
  static constexpr std::string_view kOutcome[] = {"confirmed", "failed", "partially_filled"};
  static constexpr std::string_view kVenue[] = {"raydium", "meteora", "none"};
  for (std::size_t o = 0; o < std::size(kOutcome); ++o) {
    for (std::size_t v = 0; v < 3; ++v) {
      metrics::append_sample(out, "oee_orders_terminal_total",
                             fmt::format("status=\"{}\",dex=\"{}\"", kOutcome[o], kVenue[v]),
                             terminal_by_venue[o][v].load());
    }
  }
  append_header(out, "oee_stage_duration_seconds", "histogram",
                "Time an order spends in each stage of an attempt; a route and its transaction made in one record "
                "from pending (routedAndSent) count as queued.");
  for (std::size_t i = 0; i < stage_seconds.size(); ++i) {
    stage_seconds[i].render(out, "oee_stage_duration_seconds", fmt::format("stage=\"{}\"", kStageNames[i]));
  }
  append_header(out, "oee_order_latency_seconds", "histogram", "Submit to terminal status.");
  submit_to_terminal_seconds.render(out, "oee_order_latency_seconds");
  append_header(out, "oee_order_overhead_seconds", "histogram",
                "Submit to durable terminal status, minus the simulated latency and retry backoff waited out on "
                "purpose.");
  engine_overhead_seconds.render(out, "oee_order_overhead_seconds");
  metrics::append_metric(out, "oee_orders_in_flight", "gauge", "Orders being worked on by the executor.",
                         orders_in_flight.load());
  metrics::append_metric(out, "oee_executor_append_failures_total", "counter",
                         "Executor appends the log refused (each is retried).", append_failures.load());
  metrics::append_metric(out, "oee_executor_chain_unavailable_total", "counter",
                         "Transactions the simulated chain could not store (retried).", chain_unavailable.load());
  metrics::append_metric(out, "oee_orders_paused", "gauge",
                         "Orders waiting to try a step again that the log or the chain could not store.",
                         orders_paused.load());
  metrics::append_metric(out, "oee_orders_waiting", "gauge", "Orders queued behind the concurrency limit.",
                         orders_waiting.load());
  append_header(out, "oee_open_orders", "gauge", "Orders waiting for their trigger, by type and pair (input/output).");
  {
    std::lock_guard lock(waiting_mu_);
    for (const auto& [key, count] : waiting_by_pair_) {
      const auto& [type, input, output] = key;
      metrics::append_sample(
          out, "oee_open_orders",
          fmt::format("type=\"{}\",pair=\"{}/{}\"", order_type_name(type), input->symbol,
                      output != nullptr ? output->symbol : std::string_view("new")),
          count);
    }
  }
  metrics::append_metric(out, "oee_triggers_total", "counter", "Waiting orders whose trigger fired.",
                         triggers.load());
  append_header(out, "oee_trigger_latency_seconds", "histogram",
                "From observing the price a waiting order fired on to its triggered event being durable.");
  trigger_latency_seconds.render(out, "oee_trigger_latency_seconds");
}

}  // namespace oee::core
