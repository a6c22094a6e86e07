#include "core/engine/async_append.h"

#include <mutex>

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

// use_awaitable passes initiation arguments as coroutine parameters, so the
// arguments travel in one heap object and the initiation carries only its
// pointer: [gcc12-coro].
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

asio::awaitable<std::vector<eventlog::Result<AppendedEvent>>> async_append_all(OrderStore& store,
                                                                              std::vector<EventFor> events) {
  using Results = std::vector<eventlog::Result<AppendedEvent>>;
  if (events.empty()) co_return Results{};
  auto* pending = new std::vector<EventFor>(std::move(events));
  auto initiation = [&store, pending](auto handler) {
    std::unique_ptr<std::vector<EventFor>> owned(pending);
    using Handler = decltype(handler);
    struct Gather {
      Gather(std::size_t n, Handler h)
          : results(n, eventlog::Result<AppendedEvent>(make_error_code(eventlog::Errc::unavailable))),
            left(n),
            handler(std::move(h)) {}
      std::mutex mu;
      Results results;
      std::size_t left;
      Handler handler;
    };
    auto ex = asio::get_associated_executor(handler);
    auto gather = std::make_shared<Gather>(owned->size(), std::move(handler));
    auto complete = [gather, ex](std::size_t i, eventlog::Result<AppendedEvent> r) {
      std::lock_guard lock(gather->mu);
      gather->results[i] = std::move(r);
      if (--gather->left != 0) return;
      asio::post(ex, [gather]() mutable { std::move(gather->handler)(std::move(gather->results)); });
    };
    for (std::size_t i = 0; i < owned->size(); ++i) {
      auto& e = (*owned)[i];
      try {
        store.append(e.id, e.current, std::move(e.event), std::nullopt,
                     [complete, i](eventlog::Result<AppendedEvent> r) { complete(i, std::move(r)); });
      } catch (const std::exception&) {
        // An illegal event (a bug) or no memory: this one fails, the
        // others still complete and the caller still gets every result.
        complete(i, make_error_code(eventlog::Errc::io_error));
      }
    }
  };
  auto results = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Results)>(initiation,
                                                                                           asio::use_awaitable);
  co_return results;
}

}  // namespace oee::core
