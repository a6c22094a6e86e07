#include "api/routes/off_network.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oee::api {

namespace asio = boost::asio;

RestHandler off_network(App& app, RestHandler handler) {
  return [&app, handler = std::move(handler)](const HttpRequest& req,
                                              const RequestTarget& t) -> asio::awaitable<HttpResponse> {
    if (app.reads == nullptr) {
      auto response = co_await handler(req, t);  // [gcc12-coro]
      co_return response;
    }
    // Named, not temporaries in the co_await: [gcc12-coro].
    auto work = handler(req, t);
    auto op = asio::co_spawn(app.reads->get_executor(), std::move(work), asio::use_awaitable);
    auto response = co_await std::move(op);
    co_return response;
  };
}

asio::awaitable<eventlog::Result<std::optional<core::OrderSnapshot>>> load_off_network(App& app, const OrderId& id) {
  using Loaded = eventlog::Result<std::optional<core::OrderSnapshot>>;
  if (app.reads == nullptr) co_return app.store.load(id);
  // Captures references only: [gcc12-coro].
  auto op = asio::co_spawn(
      app.reads->get_executor(), [&app, &id]() -> asio::awaitable<Loaded> { co_return app.store.load(id); },
      asio::use_awaitable);
  auto loaded = co_await std::move(op);
  co_return loaded;
}

}  // namespace oee::api
