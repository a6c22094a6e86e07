#include "api/stream_source.h"

#include "core/order.h"
#include "core/status_message.h"
#include "eventlog/event_log.h"

namespace oee::api {

void LogStreamSource::catch_up(const OrderId& order, Seq from, CatchUpHandler done) {
  CatchUp result;
  auto snapshot = log_.snapshot(order);
  if (!snapshot || !*snapshot) {
    result.outcome = snapshot ? CatchUp::Outcome::not_found : CatchUp::Outcome::unavailable;
    result.error = snapshot ? "no order with id " + order.str() : snapshot.error().message();
    done(std::move(result));
    return;
  }
  auto records = log_.read_order(order, from);
  if (!records) {
    result.outcome = CatchUp::Outcome::unavailable;
    result.error = records.error().message();
    done(std::move(result));
    return;
  }
  result.updates.reserve(records->size());
  for (const auto& r : *records) result.updates.push_back(make_status_update(r));
  done(std::move(result));
}

}  // namespace oee::api
