#include "core/engine/async_append.h"

#include <mutex>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee::core {

namespace asio = boost::asio;

// The event is prepared (folded and encoded) at the call, while the
// caller's arguments are certainly alive; only the prepared command and the
// order's next state travel on. use_awaitable passes initiation arguments
// as coroutine parameters, so they travel in one heap object and the
// initiation carries only its pointer: [gcc12-coro].
namespace {

asio::awaitable<eventlog::Result<AppendedEvent>> append_prepared(OrderStore& store, OrderStore::Prepared* prepared) {
  auto initiation = [&log = store.log(), prepared](auto handler) {
    std::unique_ptr<OrderStore::Prepared> owned(prepared);
    using Handler = decltype(handler);
    // What the completion needs, in one shared object: std::function needs
    // a copyable target, and the handler is move-only.
    struct Completion {
      Handler handler;
      asio::associated_executor_t<Handler> executor;
      OrderState next;
    };
    auto ex = asio::get_associated_executor(handler);
    auto completion = std::make_shared<Completion>(Completion{std::move(handler), std::move(ex), std::move(owned->next)});
    log.append(std::move(owned->command), [completion](eventlog::Result<eventlog::AppendOutcome> r) {
      auto where = completion->executor;  // named: posted with the completion that holds it
      asio::post(where, [completion, r = std::move(r)]() mutable {
        if (!r) {
          std::move(completion->handler)(eventlog::Result<AppendedEvent>(r.error()));
          return;
        }
        std::move(completion->handler)(eventlog::Result<AppendedEvent>(
            AppendedEvent{r->seq, r->ts, std::move(completion->next), std::move(r->existing)}));
      });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(eventlog::Result<AppendedEvent>)>(
      initiation, asio::use_awaitable);
}

}  // namespace

asio::awaitable<eventlog::Result<AppendedEvent>> async_append(OrderStore& store, const OrderId& id,
                                                              const OrderState& current, const OrderEvent& event,
                                                              const eventlog::IdempotencyClaim* claim) {
  return append_prepared(store, new OrderStore::Prepared(OrderStore::prepare(
                                    id, current, event, claim != nullptr ? std::optional(*claim) : std::nullopt)));
}

asio::awaitable<eventlog::Result<AppendedEvent>> async_append_on(OrderStore& store, const OrderSnapshot& seen,
                                                                 const OrderEvent& event) {
  auto* prepared = new OrderStore::Prepared(OrderStore::prepare(seen.id, seen.state, event, std::nullopt));
  prepared->command.basis = seen.last_seq;
  return append_prepared(store, prepared);
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
        auto done = [complete, i](eventlog::Result<AppendedEvent> r) { complete(i, std::move(r)); };
        if (e.basis) {
          store.append_on(e.id, e.current, *e.basis, std::move(e.event), std::move(done));
        } else {
          store.append(e.id, e.current, std::move(e.event), std::nullopt, std::move(done));
        }
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
