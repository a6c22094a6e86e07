#include "tools/logdump/decisions.h"

#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/wire/event_codec.h"
#include "core/wire/sim_record.h"

namespace oee::logdump {

namespace {

// Amounts in the token's units, as a person reads them.
std::string amount(core::Amount a, const core::TokenId& token) {
  return core::format_amount(a, token.decimals()) + " " + std::string(token.symbol());
}

std::string quotes_text(const std::vector<core::Quote>& quotes, const core::TokenId& out) {
  std::string text;
  for (const auto& q : quotes) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {} (fee {} bps, impact {} bps, reserves {}/{})", core::venue_name(q.venue),
                        amount(q.amount_out, out), q.fee_bps, q.price_impact_bps, q.reserve_in.base,
                        q.reserve_out.base);
  }
  return text;
}

// One order's decisions so far, and what its later lines need of it.
struct OrderLines {
  core::TokenId input, output;
  std::vector<std::string> lines;
};

// The line an event adds to its order's decisions; empty for a step that
// decides nothing (routing started).
template <class E>
std::string line_for(const E& e, const OrderLines& order, TimestampNs at) {
  using namespace core;
  if constexpr (std::is_same_v<E, OrderSubmitted>) {
    std::string line = fmt::format("submitted {} {} -> {}, {}", order_type_name(e.order_type),
                                   e.input_token.symbol(), e.output_token.symbol(),
                                   amount(e.amount_in, e.input_token));
    if (e.slippage_bps != 0) line += fmt::format(", slippage {} bps", e.slippage_bps);
    if (e.min_amount_out.base != 0) line += ", at least " + amount(e.min_amount_out, e.output_token);
    if (e.expires_at.value != 0) line += fmt::format(", expires after {} ms", (e.expires_at.value - at.value) / 1'000'000);
    return line;
  } else if constexpr (std::is_same_v<E, Routed>) {
    std::string line = fmt::format("attempt {}: routed to {}, expecting {}, minimum {}; quotes: {}", e.attempt,
                                   venue_name(e.venue), amount(e.expected_out, order.output),
                                   amount(e.min_out, order.output), quotes_text(e.quotes, order.output));
    for (std::size_t i = 0; i < e.legs.size(); ++i) {
      const Leg& l = e.legs[i];
      line += fmt::format("; leg {}: {} on {}, expecting {}, minimum {}", i, amount(l.amount_in, order.input),
                          venue_name(l.venue), amount(l.expected_out, order.output), amount(l.min_out, order.output));
    }
    return line;
  } else if constexpr (std::is_same_v<E, TxSubmitted>) {
    return fmt::format("attempt {}: sent {} on {}, minimum {}", e.attempt, e.tx_id, venue_name(e.venue),
                       amount(e.min_out, order.output));
  } else if constexpr (std::is_same_v<E, Confirmed>) {
    return fmt::format("attempt {}: confirmed on {}, received {}", e.attempt, venue_name(e.venue),
                       amount(e.amount_out, order.output));
  } else if constexpr (std::is_same_v<E, AttemptFailed>) {
    return fmt::format("attempt {}: failed: {}; retry after {} ms", e.attempt, e.reason,
                       (e.retry_at.value - at.value) / 1'000'000);
  } else if constexpr (std::is_same_v<E, OrderFailed>) {
    return fmt::format("attempt {}: failed for good: {}", e.attempt, e.reason);
  } else if constexpr (std::is_same_v<E, OrderRetried>) {
    return fmt::format("retried by an operator: {}", e.reason);
  } else if constexpr (std::is_same_v<E, DeadLetterDismissed>) {
    return fmt::format("dismissed by an operator: {}", e.reason);
  } else if constexpr (std::is_same_v<E, Opened>) {
    return "waits in the book";
  } else if constexpr (std::is_same_v<E, WatchStarted>) {
    return "watches for its token's launch";
  } else if constexpr (std::is_same_v<E, Triggered>) {
    return fmt::format("attempt {}: triggered on {}, expecting {} against {}; quotes: {}", e.attempt,
                       venue_name(e.venue), amount(e.expected_out, order.output), amount(e.threshold, order.output),
                       quotes_text(e.quotes, order.output));
  } else if constexpr (std::is_same_v<E, Reopened>) {
    return fmt::format("attempt {}: back to waiting: {}", e.attempt, e.reason);
  } else if constexpr (std::is_same_v<E, Cancelled>) {
    return fmt::format("cancelled: {}", e.reason);
  } else if constexpr (std::is_same_v<E, Expired>) {
    return "expired";
  } else if constexpr (std::is_same_v<E, LaunchRejected>) {
    return fmt::format("turned down launch {} on {}: {}", e.launch, venue_name(e.venue), e.reason);
  } else if constexpr (std::is_same_v<E, LegSettled>) {
    return e.landed ? fmt::format("attempt {}: leg {} confirmed on {}, received {}", e.attempt, e.leg,
                                  venue_name(e.fill.venue), amount(e.fill.amount_out, order.output))
                    : fmt::format("attempt {}: leg {} on {} failed: {}", e.attempt, e.leg,
                                  venue_name(e.fill.venue), e.reason);
  } else if constexpr (std::is_same_v<E, PartiallyFilled>) {
    return fmt::format("attempt {}: partially filled, received {}: {}", e.attempt,
                       amount(e.amount_out, order.output), e.reason);
  } else if constexpr (std::is_same_v<E, RecurringStarted>) {
    return "recurring: its schedule begins";
  } else if constexpr (std::is_same_v<E, SliceStarted>) {
    return fmt::format("slice {}: {} as order {}, due at {}", e.slice, amount(e.amount_in, order.input),
                       e.child.str(), e.due_at.value);
  } else if constexpr (std::is_same_v<E, SliceSkipped>) {
    return fmt::format("slice {}: {} skipped: {}; best {} on {}", e.slice, amount(e.amount_in, order.input),
                       e.reason, amount(e.expected_out, order.output), venue_name(e.venue));
  } else if constexpr (std::is_same_v<E, RecurringCompleted>) {
    return fmt::format("completed: {} slices done, {} skipped; spent {}, received {}", e.done, e.skipped,
                       amount(e.spent, order.input), amount(e.received, order.output));
  } else if constexpr (std::is_base_of_v<Amended, E>) {
    return fmt::format("amended by its owner: at least {} for the whole amount, expires at {}",
                       amount(e.min_amount_out, order.output), e.expires_at.value);
  } else {
    static_assert(std::is_same_v<E, RoutingStarted>);
    return {};
  }
}

// The lines an event adds: a routedAndSent's are its route's and its
// transaction's, as in a log written before it.
void add_lines(const core::OrderEvent& event, OrderLines& order, TimestampNs at) {
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        std::string line;
        if constexpr (std::is_same_v<E, core::RoutedAndSent>) {
          order.lines.push_back(line_for(e.routed, order, at));
          line = line_for(e.sent, order, at);
        } else {
          line = line_for(e, order, at);
        }
        if (!line.empty()) order.lines.push_back(std::move(line));
      },
      event);
}

}  // namespace

int decisions(const eventlog::EventLogReader& log, std::FILE* out) {
  std::vector<OrderId> order_of_submission;
  std::unordered_map<OrderId, OrderLines, OrderIdHash> orders;
  std::vector<std::string> runs;
  for (const PartitionId p : each_partition(log.partition_count())) {
    Seq next{1};
    for (;;) {
      auto batch = log.partition(p).read(next, 4096);
      if (!batch) {
        std::fprintf(stderr, "oee-logdump: cannot read the log: %s\n", batch.error().message().c_str());
        return 1;
      }
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        if (const auto sim = core::decode_simulation_started(r)) {
          runs.push_back(fmt::format("simulation: seed {}{}, clock {}, profile {}, fail rate {} ppm", sim->seed,
                                     sim->seed_given ? "" : " (drawn)", sim->clock, sim->profile, sim->fail_rate_ppm));
          continue;
        }
        if (!core::is_order_event_type(r.type)) continue;
        const auto event = core::decode_event(r.type, r.payload);
        if (!event) {
          std::fprintf(stderr, "oee-logdump: seq %lu does not decode; run --verify\n",
                       static_cast<unsigned long>(r.seq.value));
          return 1;
        }
        auto [it, first] = orders.try_emplace(r.order);
        if (first) order_of_submission.push_back(r.order);
        OrderLines& order = it->second;
        if (const auto* submitted = std::get_if<core::OrderSubmitted>(&*event)) {
          order.input = submitted->input_token;
          order.output = submitted->output_token;
        }
        add_lines(*event, order, r.ts);
      }
      next = Seq{batch->back().seq.value + 1};
    }
  }
  for (const auto& run : runs) std::fprintf(out, "%s\n", run.c_str());
  for (std::size_t n = 0; n < order_of_submission.size(); ++n) {
    const OrderId& id = order_of_submission[n];
    const auto& order = orders.at(id);
    std::fprintf(out, "order %zu %s\n", n + 1, id.str().c_str());
    for (const auto& line : order.lines) std::fprintf(out, "  %s\n", line.c_str());
  }
  return 0;
}

}  // namespace oee::logdump
