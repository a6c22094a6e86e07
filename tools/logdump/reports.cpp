#include "tools/logdump/reports.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/engine/ledger_audit.h"
#include "core/engine/log_audit.h"
#include "core/wire/event_codec.h"
#include "eventlog/record_codec.h"

namespace oee::logdump {

namespace json = boost::json;

int stats(const eventlog::EventLogReader& log, bool as_json) {
  std::map<std::string, std::uint64_t> by_type, by_status;
  std::unordered_map<OrderId, core::Status, OrderIdHash> outcome;
  std::uint64_t events = 0, bytes = 0, first = 0, last = 0;
  json::array partitions;  // a cluster's: each partition's seq range
  for (const PartitionId p : each_partition(log.partition_count())) {
    std::uint64_t part_first = 0, part_last = 0, part_events = 0;
    Seq next{1};
    for (;;) {
      auto batch = log.partition(p).read_raw(next, 4096);
      if (!batch) {
        std::fprintf(stderr, "oee-logdump: cannot read the log: %s\n", batch.error().message().c_str());
        return 1;
      }
      if (batch->empty()) break;
      for (const auto& raw : *batch) {
        bytes += raw.value.size();
        auto r = eventlog::decode_record(raw.value);
        if (!r) {
          std::fprintf(stderr, "oee-logdump: seq %lu does not decode; run --verify\n",
                       static_cast<unsigned long>(raw.key.value));
          return 1;
        }
        if (part_first == 0) part_first = raw.key.value;
        part_last = raw.key.value;
        ++part_events;
        if (core::is_order_event_type(r->type)) {
          const auto type = static_cast<core::EventType>(r->type);
          ++by_type[std::string(core::event_name(type))];
          const auto status = core::status_after(type);
          ++by_status[std::string(core::status_name(status))];
          outcome[r->order] = status;
        } else if (core::is_key_event(r->type)) {
          ++by_type[std::string(core::key_event_name(static_cast<core::KeyEventType>(r->type)))];
        } else if (eventlog::is_log_own_type(r->type)) {
          ++by_type["partitionTaken"];
        } else {
          ++by_type["unknown"];
        }
      }
      next = batch->back().key.next();
    }
    events += part_events;
    if (first == 0) first = part_first;
    last = part_last;
    partitions.push_back(json::object{{"partition", p.value}, {"events", part_events}, {"firstSeq", part_first},
                                      {"lastSeq", part_last}});
  }
  std::uint64_t confirmed = 0, failed = 0;
  for (const auto& [_, s] : outcome) {
    confirmed += s == core::Status::confirmed;
    failed += s == core::Status::failed;
  }
  const std::uint64_t in_flight = outcome.size() - confirmed - failed;
  if (as_json) {
    json::object types, statuses;
    for (const auto& [k, v] : by_type) types[k] = v;
    for (const auto& [k, v] : by_status) statuses[k] = v;
    json::object o{{"events", events},
                         {"firstSeq", first},
                         {"lastSeq", last},
                         {"valueBytes", bytes},
                         {"diskBytes", log.disk_bytes()},
                         {"byType", types},
                         {"byStatus", statuses},
                         {"orders", json::object{{"total", outcome.size()},
                                                 {"confirmed", confirmed},
                                                 {"failed", failed},
                                                 {"inFlight", in_flight}}}};
    if (log.partitioned()) {
      o.erase("firstSeq");
      o.erase("lastSeq");
      o["partitions"] = std::move(partitions);
    }
    std::puts(json::serialize(o).c_str());
    return 0;
  }
  if (log.partitioned()) {
    std::printf("events      %lu in %zu partitions\n", static_cast<unsigned long>(events), partitions.size());
    for (const auto& v : partitions) {
      const auto& part = v.as_object();
      std::printf("  p%-9lu %lu (seq %lu..%lu)\n", static_cast<unsigned long>(part.at("partition").to_number<std::uint64_t>()),
                  static_cast<unsigned long>(part.at("events").to_number<std::uint64_t>()),
                  static_cast<unsigned long>(part.at("firstSeq").to_number<std::uint64_t>()),
                  static_cast<unsigned long>(part.at("lastSeq").to_number<std::uint64_t>()));
    }
  } else {
    std::printf("events      %lu (seq %lu..%lu)\n", static_cast<unsigned long>(events),
                static_cast<unsigned long>(first), static_cast<unsigned long>(last));
  }
  std::printf("bytes       %lu in values, %lu on disk\n", static_cast<unsigned long>(bytes),
              static_cast<unsigned long>(log.disk_bytes()));
  std::printf("orders      %zu: %lu confirmed, %lu failed, %lu in flight\n", outcome.size(),
              static_cast<unsigned long>(confirmed), static_cast<unsigned long>(failed),
              static_cast<unsigned long>(in_flight));
  std::printf("by type    ");
  for (const auto& [k, v] : by_type) std::printf(" %s=%lu", k.c_str(), static_cast<unsigned long>(v));
  std::printf("\nby status  ");
  for (const auto& [k, v] : by_status) std::printf(" %s=%lu", k.c_str(), static_cast<unsigned long>(v));
  std::printf("\n");
  return 0;
}

namespace {

// One log (the embedded one, or one partition of a cluster's); `name`
// prefixes what is printed of a partition.
// The decisions re-derived, by kind: a table an auditor reads.
void print_decisions(const core::AuditReport& report, const std::string& name) {
  std::printf("%s%-18s %10s %14s %11s\n", name.c_str(), "decisions", "checked", "not checkable", "violations");
  for (std::size_t k = 0; k < core::kDecisionKinds; ++k) {
    const auto& c = report.decisions[k];
    std::printf("%s  %-16s %10lu %14lu %11lu\n", name.c_str(),
                std::string(core::decision_kind_name(static_cast<core::DecisionKind>(k))).c_str(),
                static_cast<unsigned long>(c.checked), static_cast<unsigned long>(c.not_checkable),
                static_cast<unsigned long>(c.violations));
  }
}

int verify_one(const eventlog::LogPartitionReader& log, const std::string& name) {
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const Seq head = log.head();
  const auto start = std::chrono::steady_clock::now();
  auto report = core::audit_log(log, [&](Seq reached) {
    if (tty && head.value > 0) {
      std::fprintf(stderr, "\r%sverifying %lu/%lu events (%.0f%%)", name.c_str(),
                   static_cast<unsigned long>(reached.value), static_cast<unsigned long>(head.value),
                   100.0 * static_cast<double>(reached.value) / static_cast<double>(head.value));
    }
  });
  if (tty) std::fprintf(stderr, "\n");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (report.problem) {
    std::fprintf(stderr, "oee-logdump: %sverify FAILED at seq %lu: %s\n", name.c_str(),
                 static_cast<unsigned long>(report.problem->seq.value), report.problem->message.c_str());
    return 1;
  }
  if (report.decision_violation_count > 0) {
    std::fprintf(stderr, "oee-logdump: %sverify FAILED: %lu decision(s) do not follow from the facts they record\n",
                 name.c_str(), static_cast<unsigned long>(report.decision_violation_count));
    for (const auto& v : report.decision_violations) {
      std::fprintf(stderr, "  order %s seq %lu, %s: recorded %s; recomputed %s\n", v.order.str().c_str(),
                   static_cast<unsigned long>(v.seq.value), std::string(core::decision_kind_name(v.kind)).c_str(),
                   v.recorded.c_str(), v.recomputed.c_str());
    }
  } else {
    std::printf("%sverify ok: %lu events (seq 1..%lu), %lu orders, %lu bytes, checked in %.2f s\n", name.c_str(),
                static_cast<unsigned long>(report.events), static_cast<unsigned long>(report.events),
                static_cast<unsigned long>(report.orders), static_cast<unsigned long>(report.bytes), secs);
  }
  print_decisions(report, name);
  return report.decision_violation_count > 0 ? 1 : 0;
}

}  // namespace

namespace {

int verify_ledger(const eventlog::EventLogReader& log, const eventlog::KeyValueStore& ledger) {
  const auto report = core::audit_ledger(log, ledger);
  if (!report.problems.empty()) {
    std::fprintf(stderr, "oee-logdump: ledger verify FAILED: %zu problem(s) between the log and the chain's ledger\n",
                 report.problems.size());
    for (const auto& problem : report.problems) std::fprintf(stderr, "  %s\n", problem.c_str());
    return 1;
  }
  std::string legs;
  for (const auto& [leg, n] : report.landed_legs) legs += fmt::format(", leg {} {}", leg, n);
  std::printf("ledger ok: %zu signatures sent, %zu landed (whole orders %zu%s), each confirmed by its order; "
              "%zu refused (slippage %zu, dropped %zu, expired %zu); %zu never decided\n",
              report.signatures, report.landed, report.landed_whole, legs.c_str(), report.refused, report.slippage,
              report.dropped, report.expired, report.undecided);
  return 0;
}

}  // namespace

int verify(const eventlog::EventLogReader& log, const eventlog::KeyValueStore* ledger) {
  int status = 0;
  if (!log.partitioned()) {
    status = verify_one(log.partition(PartitionId{0}), "");
  } else {
    // Every partition, even past a bad one: each is a log of its own.
    for (const PartitionId p : each_partition(log.partition_count())) {
      status = std::max(status, verify_one(log.partition(p), "partition " + std::to_string(p.value) + ": "));
    }
  }
  if (ledger != nullptr) status = std::max(status, verify_ledger(log, *ledger));
  return status;
}

}  // namespace oee::logdump
