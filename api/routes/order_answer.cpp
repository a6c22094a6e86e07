#include "api/routes/order_answer.h"

namespace oee::api {

boost::json::object with_partition(boost::json::object answer, const eventlog::EventLogReader& log,
                                   const OrderId& order) {
  if (log.partitioned()) answer["partition"] = log.partition_of(order);
  return answer;
}

}  // namespace oee::api
