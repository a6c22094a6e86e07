#include "api/gateway/key_sync.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;

struct KeySync::Shared : std::enable_shared_from_this<Shared> {
  Shared(KeyRing& r, std::shared_ptr<const CoreClient> c, asio::any_io_executor ex)
      : ring(r), core(std::move(c)), executor(std::move(ex)) {}

  // One listing at a time: asks that come meanwhile, however many, make
  // one more listing after it. A listing holds Shared, so one still
  // retrying at a stop outlives the KeySync.
  void refresh() {
    if (listing.exchange(true)) {
      again = true;
      return;
    }
    asio::co_spawn(executor, list(), [self = shared_from_this()](const std::exception_ptr&) {
      self->listing = false;
      if (self->again.exchange(false)) self->refresh();
    });
  }

  // Folding a listing is safe however it interleaves with the feed's
  // revocations: a creation known already changes nothing, a revocation
  // heard first still wins, and nothing un-revokes a key.
  asio::awaitable<void> list() {
    asio::steady_timer pause(executor);
    for (bool said = false;;) {
      auto listed = co_await core->key_events();
      if (listed) {
        for (const auto& m : *listed) ring.apply(m.id, m.at, m.event);
        if (!ring.complete()) spdlog::info("gateway: {} API key events listed by the core", listed->size());
        ring.mark_complete();
        co_return;
      }
      if (!said) spdlog::warn("gateway: cannot list the API keys from the core ({}); retrying", listed.error());
      said = true;
      pause.expires_after(std::chrono::seconds(1));
      co_await pause.async_wait(use_tuple);
    }
  }

  KeyRing& ring;
  std::shared_ptr<const CoreClient> core;
  asio::any_io_executor executor;
  std::atomic<bool> listing{false};
  std::atomic<bool> again{false};
};

KeySync::KeySync(KeyRing& ring, std::shared_ptr<const CoreClient> core, asio::any_io_executor executor)
    : shared_(std::make_shared<Shared>(ring, std::move(core), std::move(executor))) {}

void KeySync::apply(const core::KeyMessage& message) {
  if (std::holds_alternative<core::ApiKeyRevoked>(message.event)) {
    shared_->ring.apply(message.id, message.at, message.event);
  } else {
    shared_->refresh();
  }
}

void KeySync::refresh() { shared_->refresh(); }

}  // namespace oee::api
