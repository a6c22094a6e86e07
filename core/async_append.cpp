#include "core/async_append.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee::core {

namespace asio = boost::asio;

asio::awaitable<eventlog::Result<AppendedEvent>> async_append(OrderStore& store, OrderId id, OrderState current,
                                                              OrderEvent event,
                                                              std::optional<eventlog::IdempotencyClaim> claim) {
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(eventlog::Result<AppendedEvent>)>(
      [&](auto handler) {
        // std::function needs a copyable target; the handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store.append(id, current, std::move(event), std::move(claim),
                     [shared, ex](eventlog::Result<AppendedEvent> r) {
                       asio::post(ex, [shared, r = std::move(r)]() mutable { std::move (*shared)(std::move(r)); });
                     });
      },
      asio::use_awaitable);
}

}  // namespace oee::core
