#include "api/routes/as_of.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/http/responses.h"
#include "api/routes/order_answer.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kScanWindow = 1024;
// The most events one page reads back in each partition: a key with few
// orders in a long log gets short pages, each answered at once, not one
// page that reads the whole log on a network thread.
constexpr std::uint64_t kScanBudget = 64 * kScanWindow;
// An API key's page reads less: the orders it looks for are its own, maybe
// none, and it pays for its pages with its read limit, one request each.
constexpr std::uint64_t kKeyScanBudget = 4 * kScanWindow;

std::string code_of(std::string_view field) { return field == "asOf" ? "invalid_as_of" : "invalid_before"; }

std::optional<std::uint64_t> parse_seq(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

ApiError position_error(std::string_view field, const eventlog::EventLogReader& log) {
  return ApiError{400, code_of(field),
                  fmt::format("in a cluster, {} is a position: partition:seq pairs, comma separated (e.g. 0:17,3:250), "
                              "each partition below {} once; a partition left out is {}",
                              field, log.partition_count(), field == "asOf" ? "at its start" : "not paged yet"),
                  std::string(field)};
}

// `text` as one seq per partition: a bare seq for the embedded log,
// "p:seq,..." for a cluster's. Partitions left out get `otherwise`.
boost::system::result<std::vector<Seq>, ApiError> seqs_param(std::string_view text, std::string_view field,
                                                             const eventlog::EventLogReader& log, Seq otherwise) {
  std::vector<Seq> out(log.partition_count(), otherwise);
  if (!log.partitioned()) {
    const auto n = parse_seq(text);
    if (!n || (field == "asOf" && *n == 0)) return ApiError{400, code_of(field),
                            fmt::format("{} is the seq of an event (a whole number from 1)", field), std::string(field)};
    out[0] = Seq{*n};
    return out;
  }
  std::vector<bool> named(out.size(), false);
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto colon = pair.find(':');
    const auto p = colon == std::string_view::npos ? std::nullopt : parse_seq(pair.substr(0, colon));
    const auto seq = colon == std::string_view::npos ? std::nullopt : parse_seq(pair.substr(colon + 1));
    if (!p || !seq || *p >= out.size() || named[*p]) return position_error(field, log);
    named[*p] = true;
    out[*p] = Seq{*seq};
  }
  return out;
}

// A seq per partition as the answer writes it: a number for the embedded
// log, "p:seq,..." for a cluster's.
json::value position_json(const std::vector<Seq>& seqs, bool partitioned) {
  if (!partitioned) return seqs.at(0).value;
  std::string out;
  for (std::size_t p = 0; p < seqs.size(); ++p) out += fmt::format("{}{}:{}", p == 0 ? "" : ",", p, seqs[p].value);
  return json::value(std::move(out));
}

// asOf as one seq per partition, each at most its partition's end.
boost::system::result<std::vector<Seq>, ApiError> as_of_seqs(std::string_view text, const eventlog::EventLogReader& log,
                                                             bool name_end) {
  auto as_of = seqs_param(text, "asOf", log, Seq{0});
  if (!as_of) return as_of.error();
  for (const PartitionId id : each_partition(static_cast<std::uint32_t>(as_of->size()))) {
    const auto p = id.value;
    const Seq head = log.partition(id).head();
    if ((*as_of)[p] > head) {
      if (!name_end) {
        return ApiError{400, "invalid_as_of",
                        log.partitioned() ? fmt::format("asOf {}:{} is beyond partition {}'s end", p, (*as_of)[p].value, p)
                                          : fmt::format("asOf {} is beyond the log's end", (*as_of)[p].value),
                        "asOf"};
      }
      return ApiError{400, "invalid_as_of",
                      log.partitioned()
                          ? fmt::format("asOf {}:{} is beyond partition {}'s end, seq {}", p, (*as_of)[p].value, p,
                                        head.value)
                          : fmt::format("asOf {} is beyond the log's end, seq {}", (*as_of)[p].value, head.value),
                      "asOf"};
    }
  }
  return as_of;
}

// A recurring order's children as they were then: each folded to the same
// seq, which counts in their parent's partition too.
json::object answer_as_of(const App& app, const eventlog::EventLogReader& log, const core::OrderSnapshot& order,
                          Seq as_of) {  // as_of: in its partition
  auto answer = order_answer(app.log, order, core::children_as_of(log, as_of));
  answer["asOf"] = as_of.value;
  return answer;
}

}  // namespace

boost::system::result<std::optional<Seq>, ApiError> as_of_param(const RequestTarget& t,
                                                               const eventlog::EventLogReader& log, bool name_end) {
  const auto text = query_param(t, "asOf");
  if (!text) return std::optional<Seq>{};
  // One order's log is one sequence, its partition's in a cluster: a bare seq.
  const auto n = parse_seq(*text);
  if (!n || *n == 0) return ApiError{400, "invalid_as_of", "asOf is the seq of an event (a whole number from 1)", "asOf"};
  if (Seq{*n} > log.head()) {
    return ApiError{400, "invalid_as_of",
                    name_end ? fmt::format("asOf {} is beyond the log's end, seq {}", *n, log.head().value)
                             : fmt::format("asOf {} is beyond the log's end", *n),
                    "asOf"};
  }
  return std::optional<Seq>(Seq{*n});
}

HttpResponse order_as_of(App& app, const OrderId& id, Seq as_of, const Principal& viewer) {
  auto order = core::fold_order_until(app.log, id, as_of);
  if (!order) return log_unreadable(order.error());
  if (!*order || !viewer.sees((*order)->state.owner)) {
    return not_found(fmt::format("no order with id {} as of seq {}", id.str(), as_of.value), "orderId");
  }
  return json_response(200, answer_as_of(app, app.log, **order, as_of));
}

namespace {

// A submission found scanning back.
struct Submission {
  OrderId id;
  PartitionId partition;
  Seq seq;
  TimestampNs ts;
};

// The newest submissions of one partition at or before `end`, newest first,
// at most `limit`, and where the next page goes on (1: nothing is left).
// Read back a window at a time: a page costs the events back to its
// oldest order, whatever the log's length, and at most kScanBudget.
struct Scanned {
  std::vector<Submission> found;
  Seq resume;
};
eventlog::Result<Scanned> newest_submissions(const eventlog::LogPartitionReader& part, PartitionId p, Seq end,
                                             std::size_t limit, const Principal& viewer) {
  Scanned out;
  Seq at = end;
  std::uint64_t budget = viewer.sees_everything() ? kScanBudget : kKeyScanBudget;
  while (at.value > 0 && out.found.size() < limit && budget > 0) {
    const Seq from{at.value > kScanWindow ? at.value - kScanWindow + 1 : 1};
    auto window = part.read(from, at.value - from.value + 1);
    if (!window) return window.error();
    budget -= std::min<std::uint64_t>(budget, window->size());
    at = Seq{from.value - 1};
    for (auto r = window->rbegin(); r != window->rend(); ++r) {
      if (out.found.size() == limit) {
        at = r->seq;  // read, not taken: the next page starts here
        break;
      }
      if (r->type != static_cast<std::uint8_t>(core::EventType::submitted)) continue;
      if (!viewer.sees_everything()) {
        // An API key's page holds its own orders only.
        const auto event = core::decode_event(r->type, r->payload);
        if (!event || !viewer.sees(std::get<core::OrderSubmitted>(*event).owner)) continue;
      }
      out.found.push_back(Submission{r->order, p, r->seq, r->ts});
    }
  }
  out.resume = Seq{at.value + 1};
  return out;
}

}  // namespace

HttpResponse list_as_of(App& app, const RequestTarget& t, const Principal& viewer) {
  const auto& log = app.log;
  for (const auto& [name, value] : t.params) {
    if (name != "asOf" && name != "limit" && name != "before") {
      return error_response(ApiError{400, "unknown_parameter",
                                     fmt::format("with asOf the list takes limit and before only, not {}", name), name});
    }
  }
  auto as_of = as_of_seqs(*query_param(t, "asOf"), log, viewer.sees_everything());
  if (!as_of) return error_response(as_of.error());
  const auto limit = limit_param(t, 50, 500);
  if (!limit) return error_response(limit.error());
  // Each partition is read back from the newest seq still wanted.
  std::vector<Seq> end = *as_of;
  if (const auto before = query_param(t, "before")) {
    auto bounds = seqs_param(*before, "before", log, Seq{kMaxFromSeq});
    if (!bounds) return error_response(bounds.error());
    for (std::size_t p = 0; p < end.size(); ++p) {
      if ((*bounds)[p].value == 0) {
        return error_response(ApiError{400, "invalid_before", "before is a `next` from a previous page", "before"});
      }
      end[p] = Seq{std::min(end[p].value, (*bounds)[p].value - 1)};
    }
  }
  std::vector<std::vector<Submission>> by_partition(end.size());  // each newest first
  std::vector<Seq> scanned_to(end.size());
  for (const PartitionId id : each_partition(static_cast<std::uint32_t>(end.size()))) {
    const auto p = id.value;
    auto scanned = newest_submissions(log.partition(id), id, end[p], *limit, viewer);
    if (!scanned) return log_unreadable(scanned.error());
    by_partition[p] = std::move(scanned->found);
    scanned_to[p] = scanned->resume;
  }
  // Newest first across partitions, by submission time, each partition's in
  // its own order: a page takes the newest of each, so `next` can say where
  // each partition goes on.
  std::vector<Submission> found;
  std::vector<std::size_t> taken(by_partition.size(), 0);
  while (found.size() < *limit) {
    std::optional<std::size_t> pick;
    for (std::size_t p = 0; p < by_partition.size(); ++p) {
      if (taken[p] == by_partition[p].size()) continue;
      if (!pick || by_partition[p][taken[p]].ts > by_partition[*pick][taken[*pick]].ts) pick = p;
    }
    if (!pick) break;
    found.push_back(by_partition[*pick][taken[*pick]++]);
  }
  // Each partition goes on below the last order it gave this page, or
  // below where its scan stopped when it gave all it found.
  std::vector<Seq> next(end.size());
  bool more = false;
  for (std::size_t p = 0; p < end.size(); ++p) {
    const auto& here = by_partition[p];
    if (taken[p] < here.size()) {
      next[p] = taken[p] > 0 ? here[taken[p] - 1].seq : Seq{end[p].value + 1};
    } else {
      next[p] = scanned_to[p];
    }
    more = more || next[p].value > 1;
  }
  json::array orders;
  for (const auto& s : found) {
    auto order = core::fold_order_until(log.partition(s.partition), s.id, (*as_of)[s.partition.value]);
    if (!order) return log_unreadable(order.error());
    if (!*order || !viewer.sees((*order)->state.owner)) continue;
    orders.push_back(answer_as_of(app, log.partition(s.partition), **order, (*as_of)[s.partition.value]));
  }
  return json_response(200, json::object{{"orders", std::move(orders)},
                                         {"asOf", position_json(*as_of, log.partitioned())},
                                         {"next", more ? position_json(next, log.partitioned()) : json::value()}});
}

}  // namespace oee::api
