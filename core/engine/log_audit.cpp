#include "core/engine/log_audit.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <set>
#include <thread>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/domain/trigger.h"
#include "core/wire/event_codec.h"
#include "core/domain/recurring.h"
#include "core/wire/key_codec.h"
#include "eventlog/record_codec.h"

namespace oee::core {

namespace {

std::string describe_fold_difference(const OrderState& fold, const OrderState& stored) {
  if (fold.status != stored.status) {
    return fmt::format("status {} in the snapshot, {} in the log", status_name(stored.status), status_name(fold.status));
  }
  if (fold.attempt != stored.attempt) return fmt::format("attempt {} vs {}", stored.attempt, fold.attempt);
  if (fold.tx_id != stored.tx_id) return "tx id differs";
  if (fold.amount_out != stored.amount_out) return "amount out differs";
  if (fold.last_error != stored.last_error) return "last error differs";
  if (fold.venue != stored.venue) return "venue differs";
  if (fold.amount_in != stored.amount_in || fold.input_token != stored.input_token ||
      fold.output_token != stored.output_token) {
    return "order terms differ";
  }
  if (fold.updated != stored.updated) return "last update time differs";
  if (fold.dismissed != stored.dismissed) return "dead-letter dismissal differs";
  if (fold.owner != stored.owner) return "owner differs";
  if (fold.launches_judged != stored.launches_judged) return "launches judged differ";
  if (fold.legs != stored.legs) return "legs differ";
  if (fold.recurring != stored.recurring || fold.first_due != stored.first_due) return "recurring terms differ";
  if (fold.slices != stored.slices) return "slices differ";
  if (fold.parent != stored.parent || fold.slice != stored.slice) return "parent differs";
  return {};
}

struct Folded {
  OrderState state;
  std::vector<Seq> seqs;
  [[nodiscard]] Seq last_seq() const { return seqs.back(); }
};
using Folds = std::unordered_map<OrderId, Folded, OrderIdHash>;
using KeyIds = std::set<OrderId>;

// What the fold gathers besides each order's state: the seqs of every API
// key's events, and which orders were open after the checkpoint's seq.
struct FoldExtras {
  std::unordered_map<OrderId, std::vector<Seq>, OrderIdHash> key_seqs;
  std::optional<eventlog::Checkpoint> checkpoint;
  Folds open_at_checkpoint;  // as the fold had them right after the checkpoint's seq
};

// An API key's event: it decodes, and a key is created before it is revoked.
std::optional<std::string> check_key_event(const eventlog::Record& record, KeyIds& keys) {
  const auto event = decode_key_event(record.type, record.payload);
  if (!event) return fmt::format("payload of API key event type {} does not decode", record.type);
  if (std::holds_alternative<ApiKeyCreated>(*event)) {
    if (!keys.insert(record.order).second) return fmt::format("API key {} is created twice", record.order.str());
  } else if (!keys.contains(record.order)) {
    return fmt::format("API key {} is revoked before it is created", record.order.str());
  }
  return std::nullopt;
}

// A trigger must have fired on what it records: each quote recomputed from
// its recorded pool state matches, the chosen venue's quote is the best and
// reaches the threshold, and the threshold is the order's.
std::optional<std::string> check_trigger(const Triggered& t, const OrderState& order) {
  if (t.threshold != order.min_amount_out) {
    return fmt::format("fired on threshold {} but the order asks {}", t.threshold.base, order.min_amount_out.base);
  }
  const auto recorded = recorded_pools(t.quotes);
  if (!recorded) return std::string("its quotes are not one per venue in order, each with its pool");
  const Pools& pools = *recorded;
  const auto decision = fires(pools, t.amount_in, t.threshold);
  if (!decision) return std::string("its recorded pools do not pay the threshold");
  for (std::size_t v = 0; v < pools.size(); ++v) {
    if (decision->quotes[v].amount_out != t.quotes[v].amount_out) {
      return fmt::format("the {} quote does not follow from its recorded pool", venue_name(kAllVenues[v]));
    }
  }
  if (decision->best.venue != t.venue || decision->best.amount_out != t.expected_out) {
    return std::string("it chose another quote than the best");
  }
  return std::nullopt;
}

// A recurring order's events and its slices' orders agree: a slice's
// amount and order id are the schedule's, each slice's order is created
// once, right after its slice started, naming its parent and its place; and
// the order completes only once every slice's order ended, with their sums.
std::optional<std::string> check_recurring(const OrderId& id, const OrderEvent& event, const OrderState& state,
                                           const Folds& orders) {
  if (const auto* started = std::get_if<SliceStarted>(&event)) {
    if (started->amount_in != slice_amount(state.amount_in, state.recurring.slices, started->slice)) {
      return fmt::format("slice {} is not its share of the amount", started->slice);
    }
    if (started->child != slice_order_id(id, started->slice)) {
      return fmt::format("slice {}'s order id is not the slice's", started->slice);
    }
    if (orders.contains(started->child)) return fmt::format("slice {}'s order exists before it started", started->slice);
  } else if (const auto* skipped = std::get_if<SliceSkipped>(&event)) {
    if (skipped->amount_in != slice_amount(state.amount_in, state.recurring.slices, skipped->slice)) {
      return fmt::format("slice {} is not its share of the amount", skipped->slice);
    }
  } else if (const auto* submitted = std::get_if<OrderSubmitted>(&event); submitted && submitted->parent) {
    const auto parent = orders.find(*submitted->parent);
    if (parent == orders.end() || parent->second.state.slices.empty() ||
        parent->second.state.slices.back().child != id || parent->second.state.slices.size() != submitted->slice + 1) {
      return fmt::format("a slice's order whose recurring order {} did not start it as slice {}",
                         submitted->parent->str(), submitted->slice);
    }
    const OrderState& p = parent->second.state;
    if (submitted->amount_in != p.slices.back().amount_in || submitted->input_token != p.input_token ||
        submitted->output_token != p.output_token || submitted->order_type != OrderType::market) {
      return std::string("a slice's order differs from its slice");
    }
  } else if (const auto* completed = std::get_if<RecurringCompleted>(&event)) {
    std::vector<const OrderState*> children;
    for (const SliceState& slice : state.slices) {
      if (!slice.child) continue;
      const auto child = orders.find(*slice.child);
      if (child == orders.end() || !is_terminal(child->second.state.status)) {
        return fmt::format("completed before its slice order {} ended", slice.child->str());
      }
      children.push_back(&child->second.state);
    }
    const RecurringProgress sums = recurring_progress(state, children);
    if (sums.done != completed->done || sums.skipped != completed->skipped || sums.spent != completed->spent ||
        sums.received != completed->received) {
      return std::string("its completion does not add up its slices");
    }
  }
  return std::nullopt;
}

// Every event in seq order: dense, checksummed, decodable, and a legal step
// of its order. Stops at the first problem.
std::optional<AuditProblem> fold_log(const eventlog::LogPartitionReader& log, const std::function<void(Seq)>& progress,
                                     AuditReport& report, Folds& orders, KeyIds& keys, FoldExtras& extras,
                                     DecisionAudit& decisions) {
  const Seq checkpoint_at = extras.checkpoint ? extras.checkpoint->seq : Seq{0};
  const auto note_open_orders = [&] {
    for (const auto& [id, f] : orders) {
      if (!is_terminal(f.state.status)) extras.open_at_checkpoint.emplace(id, f);
    }
  };
  Seq expected{1};
  auto problem = [](Seq seq, std::string message) { return AuditProblem{seq, std::move(message)}; };
  for (;;) {
    auto batch = log.read_raw(expected, 4096);
    if (!batch) return problem(expected, "cannot read the log: " + batch.error().message());
    if (batch->empty()) return std::nullopt;
    for (const auto& raw : *batch) {
      if (raw.key != expected) {
        return problem(expected,
                       fmt::format("seq {} is missing (the next stored seq is {})", expected.value, raw.key.value));
      }
      report.bytes += raw.value.size();
      auto record = eventlog::decode_record(raw.value);
      if (!record) return problem(raw.key, "checksum mismatch or undecodable envelope");
      // A cluster's events are sealed before the stream numbers them: their
      // envelopes carry no seq.
      const bool sealed_unnumbered = log.partitioned() && record->seq.value == 0;
      if (record->seq != raw.key && !sealed_unnumbered) {
        return problem(raw.key,
                       fmt::format("envelope says seq {} but is stored as seq {}", record->seq.value, raw.key.value));
      }
      if (eventlog::is_log_own_type(record->type)) {
        // The log's own (a partition's new owner): no order's step.
      } else if (is_key_event(record->type)) {
        if (auto wrong = check_key_event(*record, keys)) return problem(raw.key, std::move(*wrong));
        extras.key_seqs[record->order].push_back(raw.key);
      } else {
        auto event = decode_event(record->type, record->payload);
        if (!event) return problem(raw.key, fmt::format("payload of event type {} does not decode", record->type));
        auto& folded = orders[record->order];
        if (const auto* trigger = std::get_if<Triggered>(&*event)) {
          if (auto wrong = check_trigger(*trigger, folded.state)) {
            return problem(raw.key, fmt::format("order {}: triggered: {}", record->order.str(), *wrong));
          }
        }
        if (auto wrong = check_recurring(record->order, *event, folded.state, orders)) {
          return problem(raw.key, fmt::format("order {}: {}", record->order.str(), *wrong));
        }
        decisions.observe(record->order, raw.key, record->ts, *event, folded.state);
        auto next = apply(folded.state, *event, record->ts);
        if (!next) {
          return problem(raw.key, fmt::format("order {}: {} after status {}: {}", record->order.str(),
                                              event_name(type_of(*event)), status_name(folded.state.status),
                                              describe(next.error())));
        }
        folded.state = std::move(*next);
        folded.seqs.push_back(raw.key);
      }
      if (raw.key == checkpoint_at) note_open_orders();
      expected = expected.next();
      ++report.events;
    }
    if (progress) progress(Seq{expected.value - 1});
  }
}

// The latest checkpoint against the fold: it holds exactly the orders open
// after its seq, each with the seqs and the state the fold had for it then.
void check_checkpoint(const FoldExtras& extras, const std::function<void(Seq, std::string)>& note) {
  if (!extras.checkpoint) return;
  const auto& cp = *extras.checkpoint;
  std::set<OrderId> held;
  for (const auto& entry : cp.orders) {
    held.insert(entry.order);
    const auto it = extras.open_at_checkpoint.find(entry.order);
    if (it == extras.open_at_checkpoint.end()) {
      note(cp.seq, fmt::format("checkpoint at seq {} holds order {}, which was not open then", cp.seq.value,
                               entry.order.str()));
      continue;
    }
    if (entry.seqs != it->second.seqs) {
      note(cp.seq, fmt::format("checkpoint at seq {}: order {} lists {} events, the log has {} by then", cp.seq.value,
                               entry.order.str(), entry.seqs.size(), it->second.seqs.size()));
      continue;
    }
    auto stored = decode_snapshot(entry.snapshot);
    if (!stored) {
      note(cp.seq, fmt::format("checkpoint at seq {}: order {}: its state does not decode", cp.seq.value,
                               entry.order.str()));
    } else if (auto diff = describe_fold_difference(it->second.state, *stored); !diff.empty()) {
      note(cp.seq, fmt::format("checkpoint at seq {}: order {} disagrees with the log: {}", cp.seq.value,
                               entry.order.str(), diff));
    }
  }
  for (const auto& [id, f] : extras.open_at_checkpoint) {
    if (!held.contains(id)) {
      note(cp.seq, fmt::format("checkpoint at seq {} misses open order {}", cp.seq.value, id.str()));
    }
  }
}

// A finished order's (or key's) record lists exactly its events. Returns
// the record, for its state to be checked too.
std::optional<eventlog::IndexedOrder> check_record(const eventlog::EventLogReader& log, const OrderId& id,
                                                   const std::vector<Seq>& seqs,
                                                   const std::function<void(Seq, std::string)>& note) {
  auto record = log.finished_record(id);
  if (!record || !*record) {
    note(seqs.back(), fmt::format("{} is finished but has no record", id.str()));
    return std::nullopt;
  }
  if ((*record)->seqs != seqs) {
    note(seqs.back(), fmt::format("the record of {} lists {} events, the log has {}", id.str(),
                                  (*record)->seqs.size(), seqs.size()));
  }
  return std::move(*record);
}

// The state the log holds for an order: its record's once it finished (one
// read for both checks), its index entry's while it is open.
std::optional<eventlog::OrderSnapshotEntry> held_state(const eventlog::EventLogReader& log, const OrderId& id,
                                                       const Folded& f,
                                                       const std::function<void(Seq, std::string)>& note) {
  if (is_terminal(f.state.status)) {
    auto record = check_record(log, id, f.seqs, note);
    if (!record) return std::nullopt;
    return eventlog::OrderSnapshotEntry{record->seqs.back(), std::move(record->snapshot)};
  }
  auto snap = log.snapshot(id);
  if (!snap || !*snap) {
    note(f.last_seq(), fmt::format("order {} has no snapshot", id.str()));
    return std::nullopt;
  }
  return std::move(**snap);
}

// What the log keeps besides the events (snapshots, the active and
// dead-letter sets, finished records, the checkpoint) against the fold:
// the mismatch with the smallest seq.
std::optional<AuditProblem> check_derived(const eventlog::EventLogReader& log, const Folds& orders, KeyIds& keys,
                                          const FoldExtras& extras) {
  std::optional<AuditProblem> worst;
  std::function<void(Seq, std::string)> note = [&](Seq seq, std::string message) {
    if (!worst || seq < worst->seq) worst = AuditProblem{seq, std::move(message)};
  };
  check_checkpoint(extras, note);
  for (const auto& [id, seqs] : extras.key_seqs) check_record(log, id, seqs, note);
  std::set<OrderId> active, dead;
  for (const auto& [id, f] : orders) {
    if (!is_terminal(f.state.status)) active.insert(id);
    if (is_dead_letter(f.state)) dead.insert(id);
    const auto snap = held_state(log, id, f, note);
    if (!snap) continue;
    if (snap->last_seq != f.last_seq()) {
      note(f.last_seq(), fmt::format("order {}: snapshot is at seq {}, its last event is seq {}", id.str(),
                                     snap->last_seq.value, f.last_seq().value));
      continue;
    }
    auto stored = decode_snapshot(snap->snapshot);
    if (!stored) {
      note(f.last_seq(), fmt::format("order {}: snapshot does not decode", id.str()));
      continue;
    }
    if (auto diff = describe_fold_difference(f.state, *stored); !diff.empty()) {
      note(f.last_seq(), fmt::format("order {}: snapshot disagrees with the log: {}", id.str(), diff));
    }
  }
  // An API key is no order: a set mismatch of one is noted at seq 0.
  const auto last_of = [&](const OrderId& id) {
    const auto it = orders.find(id);
    return it == orders.end() ? Seq{0} : it->second.last_seq();
  };
  const auto max = std::numeric_limits<std::size_t>::max();
  for (auto [set, expected_members, name] :
       {std::tuple{eventlog::OrderSet::active, &active, "active"},
        std::tuple{eventlog::OrderSet::dead_letter, &dead, "dead-letter"},
        std::tuple{eventlog::OrderSet::api_keys, &keys, "API key"}}) {
    auto members = log.members(set, max);
    if (!members) {
      note(Seq{0}, std::string("cannot read the ") + name + " set");
      continue;
    }
    const std::set<OrderId> stored(members->begin(), members->end());
    for (const auto& id : *expected_members) {
      if (!stored.contains(id)) note(last_of(id), fmt::format("order {} is missing from the {} set", id.str(), name));
    }
    for (const auto& id : stored) {
      if (!expected_members->contains(id)) {
        note(last_of(id), fmt::format("order {} should not be in the {} set", id.str(), name));
      }
    }
  }
  return worst;
}

}  // namespace

AuditReport audit_log(const eventlog::LogPartitionReader& log, const std::function<void(Seq)>& progress) {
  AuditReport report;
  Folds orders;
  KeyIds keys;
  FoldExtras extras;
  if (auto cp = log.checkpoint(); !cp) {
    report.problem = AuditProblem{Seq{0}, "the checkpoint cannot be read: " + cp.error().message()};
    return report;
  } else {
    extras.checkpoint = std::move(*cp);
  }
  DecisionAudit decisions;
  report.problem = fold_log(log, progress, report, orders, keys, extras, decisions);
  report.decisions = decisions.counts();
  report.decision_violations = decisions.violations();
  report.decision_violation_count = decisions.violation_count();
  if (report.problem) return report;
  report.orders = orders.size();
  report.keys = keys.size();
  report.problem = check_derived(log, orders, keys, extras);
  return report;
}

namespace {

// One order's check: its events fold to its stored snapshot. Throws saying
// what is wrong and what to do.
OrderSnapshot resumable_order(const eventlog::EventLogReader& log, const OrderId& id, bool skip_illegal) {
  const std::string advice =
      "; keep a copy of the data directory and run `oee-logdump --data-dir DIR --verify` to locate the damage. "
      "oee will not skip or truncate events.";
  auto records = log.read_order(id);
  if (!records || records->empty()) {
    throw std::runtime_error("the events of unfinished order " + id.str() + " cannot be read (" +
                             (records ? std::string("there are none") : records.error().message()) + ")" + advice);
  }
  OrderState state;
  Seq last{0};  // of the last event folded
  for (const auto& r : *records) {
    try {
      state = fold_record(state, r).state;
      last = r.seq;
    } catch (const IllegalEvent& e) {
      if (!skip_illegal) throw std::runtime_error(e.what() + advice);
      spdlog::error("order {}: {}; skipped, as the log's fold skipped it", id.str(), e.what());
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(e.what() + advice);
    }
  }
  auto snap = log.snapshot(id);
  std::optional<OrderState> stored;
  if (snap && *snap && (*snap)->last_seq == last) stored = decode_snapshot((*snap)->snapshot);
  if (!stored || !describe_fold_difference(state, *stored).empty()) {
    throw std::runtime_error("the stored state of unfinished order " + id.str() + " disagrees with its events" +
                             advice);
  }
  return OrderSnapshot{id, std::move(state), last};
}

}  // namespace

std::vector<OrderSnapshot> check_resumable(const eventlog::EventLogReader& log, unsigned threads,
                                           std::size_t orders_per_thread, bool skip_illegal) {
  auto active = log.members(eventlog::OrderSet::active, std::numeric_limits<std::size_t>::max());
  if (!active) throw std::runtime_error("cannot read the active orders: " + active.error().message());
  const std::vector<OrderId>& ids = *active;
  std::vector<OrderSnapshot> out(ids.size());
  // Each worker checks every n-th order; the reads are independent.
  const std::size_t n =
      std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, ids.size() / std::max<std::size_t>(1, orders_per_thread)));
  std::vector<std::exception_ptr> failures(n);
  auto check_share = [&](std::size_t worker) {
    try {
      for (std::size_t i = worker; i < ids.size(); i += n) out[i] = resumable_order(log, ids[i], skip_illegal);
    } catch (...) {
      failures[worker] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t w = 1; w < n; ++w) helpers.emplace_back(check_share, w);
    check_share(0);
  }
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  return out;
}

}  // namespace oee::core
