#include "api/stream/stream_source.h"

#include <unordered_map>

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace {

// Whether an API key's `viewer` owns `order` (false for an order with no
// state), read from its snapshot.
eventlog::Result<bool> owns(const eventlog::EventLogReader& log, const OrderId& order, const Principal& viewer) {
  auto snapshot = log.snapshot(order);
  if (!snapshot) return {boost::system::in_place_error, snapshot.error()};
  if (!*snapshot) return {boost::system::in_place_value, false};
  const auto state = core::decode_snapshot((*snapshot)->snapshot);
  if (!state) return {boost::system::in_place_error, make_error_code(eventlog::Errc::corrupted)};
  return {boost::system::in_place_value, viewer.sees(state->owner)};
}

std::vector<std::shared_ptr<const StatusUpdate>> updates_of(const std::vector<eventlog::Record>& records) {
  std::vector<std::shared_ptr<const StatusUpdate>> updates;
  updates.reserve(records.size());
  for (const auto& r : records) updates.push_back(make_status_update(r));
  return updates;
}

}  // namespace

eventlog::Result<std::optional<std::vector<eventlog::Record>>> read_known_order(const eventlog::EventLogReader& log,
                                                                                const OrderId& order, Seq from,
                                                                                const Principal& viewer) {
  using Found = std::optional<std::vector<eventlog::Record>>;
  // Whether the order exists, once its snapshot has been read: a key's
  // view needs the owner first, anyone else's only when no event is left.
  bool known = false;
  if (!viewer.sees_everything()) {
    const auto owned = owns(log, order, viewer);
    if (!owned) return owned.error();
    if (!*owned) return Found{};
    known = true;
  }
  auto records = log.read_order(order, from);
  if (!records) return records.error();
  if (!records->empty() && core::is_key_event(records->front().type)) return Found{};  // an API key's id
  if (records->empty() && !known) {
    auto snapshot = log.snapshot(order);
    if (!snapshot) return snapshot.error();
    if (!*snapshot) return Found{};
  }
  return Found{std::move(*records)};
}

eventlog::Result<EventPage> read_events(const eventlog::EventLogReader& log, Seq from, std::size_t max, bool newest,
                                       const Principal& viewer) {
  EventPage page;
  page.head = log.head();
  std::uint64_t start = std::max<std::uint64_t>(from.value, 1);
  if (newest && max > 0 && page.head.value >= start + max) start = page.head.value - max + 1;
  page.first = Seq{start};
  page.last = Seq{start - 1};
  if (max == 0) return page;
  auto records = log.read(page.first, max);
  if (!records) return records.error();
  if (!records->empty()) page.last = records->back().seq;
  std::unordered_map<OrderId, bool, OrderIdHash> seen;  // whether an API key owns each order
  for (auto& r : *records) {
    if (core::is_key_event(r.type)) continue;
    if (!viewer.sees_everything()) {
      auto it = seen.find(r.order);
      if (it == seen.end()) {
        const auto owned = owns(log, r.order, viewer);
        if (!owned) return owned.error();
        it = seen.emplace(r.order, *owned).first;
      }
      if (!it->second) continue;
    }
    page.records.push_back(std::move(r));
  }
  return page;
}

void LogStreamSource::recent(Seq from, std::size_t max, const Principal& viewer, CatchUpHandler done) {
  CatchUp result;
  auto page = read_events(log_, from, max, true, viewer);
  if (!page) {
    result.outcome = CatchUp::Outcome::unavailable;
    result.error = page.error().message();
    done(std::move(result));
    return;
  }
  result.first = page->first;
  result.last = page->last;
  result.updates = updates_of(page->records);
  done(std::move(result));
}

void LogStreamSource::catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) {
  CatchUp result;
  auto records = read_known_order(log_, order, from, viewer);
  if (!records || !*records) {
    result.outcome = records ? CatchUp::Outcome::not_found : CatchUp::Outcome::unavailable;
    result.error = records ? "no order with id " + order.str() : records.error().message();
    done(std::move(result));
    return;
  }
  result.updates = updates_of(**records);
  done(std::move(result));
}

}  // namespace oee::api
