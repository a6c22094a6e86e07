#include "api/stream/stream_source.h"

#include "core/domain/api_key.h"
#include "core/domain/order.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::api {

eventlog::Result<std::optional<std::vector<eventlog::Record>>> read_known_order(const eventlog::EventLogReader& log,
                                                                                const OrderId& order, Seq from,
                                                                                const Principal& viewer) {
  using Found = std::optional<std::vector<eventlog::Record>>;
  // Whether the order exists, once its snapshot has been read: a key's
  // view needs the owner first, anyone else's only when no event is left.
  bool known = false;
  if (!viewer.sees_everything()) {
    auto snapshot = log.snapshot(order);
    if (!snapshot) return snapshot.error();
    if (!*snapshot) return Found{};
    const auto state = core::decode_snapshot((*snapshot)->snapshot);
    if (!state) return make_error_code(eventlog::Errc::corrupted);
    if (!viewer.sees(state->owner)) return Found{};
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

void LogStreamSource::catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) {
  CatchUp result;
  auto records = read_known_order(log_, order, from, viewer);
  if (!records || !*records) {
    result.outcome = records ? CatchUp::Outcome::not_found : CatchUp::Outcome::unavailable;
    result.error = records ? "no order with id " + order.str() : records.error().message();
    done(std::move(result));
    return;
  }
  result.updates.reserve((*records)->size());
  for (const auto& r : **records) result.updates.push_back(make_status_update(r));
  done(std::move(result));
}

}  // namespace oee::api
