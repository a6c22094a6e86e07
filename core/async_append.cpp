#include "core/async_append.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee::core {

namespace asio = boost::asio;

namespace {
struct PendingAppend {
  OrderStore& store;
  OrderId id;
  OrderState current;
  OrderEvent event;
  std::optional<eventlog::IdempotencyClaim> claim;
};
}  // namespace

// use_awaitable passes initiation arguments as coroutine parameters, which
// GCC 12 copies wrongly when they hold short strings; so the arguments
// travel in one heap object and the initiation carries only its pointer.
asio::awaitable<eventlog::Result<AppendedEvent>> async_append(OrderStore& store, const OrderId& id,
                                                              const OrderState& current, const OrderEvent& event,
                                                              const eventlog::IdempotencyClaim* claim) {
  auto* pending = new PendingAppend{store, id, current, event,
                                    claim != nullptr ? std::optional(*claim) : std::nullopt};
  auto initiation = [pending](auto handler) {
    std::unique_ptr<PendingAppend> owned(pending);
    auto ex = asio::get_associated_executor(handler);
    // std::function needs a copyable target; the handler is move-only.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    owned->store.append(owned->id, owned->current, std::move(owned->event), std::move(owned->claim),
                        [shared, ex](eventlog::Result<AppendedEvent> r) {
                          asio::post(ex, [shared, r = std::move(r)]() mutable { std::move(*shared)(std::move(r)); });
                        });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(eventlog::Result<AppendedEvent>)>(
      initiation, asio::use_awaitable);
}

}  // namespace oee::core
