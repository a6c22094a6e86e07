#include "core/engine/ledger_audit.h"

#include <map>
#include <set>
#include <variant>

#include <fmt/format.h>

#include "core/domain/order.h"
#include "core/engine/sim_chain.h"
#include "core/wire/event_codec.h"

namespace oee::core {

namespace {

constexpr std::size_t kReadBatch = 4096;

/// What one order's events say of its transactions.
struct OrderTransactions {
  std::set<std::string> sent;
  std::map<std::string, std::uint32_t> legs;  // a split order's legs' signatures
  std::set<std::string> confirmed;
  bool finished = false;
};

void note_sent(OrderTransactions& o, const TxSubmitted& e) {
  if (!e.tx_id.empty()) o.sent.insert(e.tx_id);
  for (std::uint32_t i = 0; i < e.leg_tx_ids.size(); ++i) {
    if (e.leg_tx_ids[i].empty()) continue;
    o.sent.insert(e.leg_tx_ids[i]);
    o.legs.emplace(e.leg_tx_ids[i], i);
  }
}

void note_filled(OrderTransactions& o, const std::vector<LegFill>& legs) {
  for (const auto& leg : legs) {
    if (leg.amount_out.base != 0 && !leg.tx_id.empty()) o.confirmed.insert(leg.tx_id);
  }
}

void note(OrderTransactions& o, const OrderEvent& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TxSubmitted>) {
          note_sent(o, e);
        } else if constexpr (std::is_same_v<T, RoutedAndSent>) {
          note_sent(o, e.sent);
        } else if constexpr (std::is_same_v<T, LegSettled>) {
          if (e.landed) o.confirmed.insert(e.fill.tx_id);
        } else if constexpr (std::is_same_v<T, Confirmed>) {
          if (e.legs.empty()) o.confirmed.insert(e.tx_id);
          note_filled(o, e.legs);
        } else if constexpr (std::is_same_v<T, PartiallyFilled>) {
          note_filled(o, e.legs);
        }
      },
      event);
}

/// Folds what `log` (one partition) says of each order's transactions
/// into `orders`; a record that does not decode is the log audit's to
/// report, not this one's.
eventlog::Result<void> read_transactions(const eventlog::LogPartitionReader& log,
                                         std::map<OrderId, OrderTransactions>& orders) {
  Seq from{1};
  for (;;) {
    auto records = log.read(from, kReadBatch);
    if (!records) return records.error();
    if (records->empty()) return {};
    for (const auto& r : *records) {
      if (!is_order_event_type(r.type)) continue;
      auto event = decode_event(r.type, r.payload);
      if (!event) continue;
      auto& o = orders[r.order];
      note(o, *event);
      o.finished = is_terminal_event(r.type);
    }
    from = records->back().seq.next();
  }
}

void count(LedgerAuditReport& report, const OrderTransactions& o, const std::string& tx,
           const std::optional<TxResult>& outcome) {
  if (!outcome) {
    ++report.undecided;
    return;
  }
  switch (outcome->outcome) {
    case TxOutcome::landed:
      ++report.landed;
      if (const auto leg = o.legs.find(tx); leg != o.legs.end()) {
        ++report.landed_legs[leg->second];
      } else {
        ++report.landed_whole;
      }
      return;
    case TxOutcome::slippage_exceeded: ++report.slippage; break;
    case TxOutcome::dropped: ++report.dropped; break;
    case TxOutcome::expired: ++report.expired; break;
    case TxOutcome::unavailable: return;  // never recorded
  }
  ++report.refused;
}

}  // namespace

LedgerAuditReport audit_ledger(const eventlog::EventLogReader& log, const eventlog::KeyValueStore& ledger) {
  LedgerAuditReport report;
  std::map<OrderId, OrderTransactions> orders;
  for (const PartitionId p : each_partition(log.partition_count())) {
    if (auto read = read_transactions(log.partition(p), orders); !read) {
      report.problems.push_back("the log cannot be read: " + read.error().message());
      return report;
    }
  }
  for (const auto& [id, o] : orders) {
    for (const auto& tx : o.sent) {
      ++report.signatures;
      auto stored = ledger.get(tx);
      if (!stored) {
        report.problems.push_back(fmt::format("the ledger cannot be read ({}) for order {}", stored.error().message(),
                                              id.str()));
        return report;
      }
      const auto outcome = *stored ? parse_ledger_value(**stored) : std::nullopt;
      if (*stored && !outcome) {
        report.problems.push_back(fmt::format("order {}: the ledger's record of {} is not an outcome", id.str(), tx));
        continue;
      }
      const bool landed = outcome && outcome->outcome == TxOutcome::landed;
      count(report, o, tx, outcome);
      if (landed && !o.confirmed.contains(tx) && o.finished) {
        report.problems.push_back(fmt::format(
            "order {}: transaction {} landed on the chain but the order does not confirm it (executed twice)",
            id.str(), tx));
      }
      if (!landed && o.confirmed.contains(tx)) {
        report.problems.push_back(
            fmt::format("order {}: the log confirms transaction {}, which the chain did not land", id.str(), tx));
      }
    }
  }
  return report;
}

}  // namespace oee::core
