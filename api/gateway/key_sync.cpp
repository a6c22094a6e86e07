#include "api/gateway/key_sync.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;

namespace {
// A key announced on the feed may reach the gateway before the core's own
// copy of it is current (the log's commit listeners run before the append
// completes), so a listing without it is retried a few times, each pause
// twice the last. A key the core still does not know was never its key.
constexpr int kAnnouncedRetries = 5;
constexpr std::chrono::milliseconds kFirstAnnouncedPause{50};
// Bounds what a flood of forged announcements can make the gateway hold.
constexpr std::size_t kMaxAnnounced = 1'000;
}  // namespace

struct KeySync::Shared : std::enable_shared_from_this<Shared> {
  Shared(KeyRing& r, std::shared_ptr<const CoreClient> c, asio::any_io_executor ex)
      : ring(r), core(std::move(c)), executor(std::move(ex)) {}

  void announce(const core::KeyId& id) {
    {
      std::lock_guard lock(mu);
      if (announced.size() < kMaxAnnounced) announced.push_back(id);
    }
    refresh();
  }

  // One listing at a time: asks that come meanwhile, however many, make
  // one more listing after it. A listing holds Shared, so one still
  // retrying at a stop outlives the KeySync.
  void refresh() {
    {
      std::lock_guard lock(mu);
      if (listing) {
        again = true;
        return;
      }
      listing = true;
    }
    spawn();
  }

  void spawn() {
    asio::co_spawn(executor, list(), [self = shared_from_this()](const std::exception_ptr&) {
      {
        std::lock_guard lock(self->mu);
        if (!self->again) {
          self->listing = false;
          return;
        }
        self->again = false;
      }
      self->spawn();
    });
  }

  // Folding a listing is safe however it interleaves with the feed's
  // revocations: a creation known already changes nothing, a revocation
  // heard first still wins, and nothing un-revokes a key.
  asio::awaitable<void> list() {
    asio::steady_timer pause(executor);
    std::vector<core::KeyId> awaited;
    {
      std::lock_guard lock(mu);
      awaited.swap(announced);
    }
    auto announced_pause = kFirstAnnouncedPause;
    for (int announced_tries = 0, failures = 0;;) {
      auto listed = co_await core->key_events();
      if (!listed) {
        if (failures++ == 0) {
          spdlog::warn("gateway: cannot list the API keys from the core ({}); retrying", listed.error());
        }
        pause.expires_after(std::chrono::seconds(1));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      for (const auto& m : *listed) ring.apply(m.id, m.at, m.event);
      if (!ring.complete()) spdlog::info("gateway: {} API key events listed by the core", listed->size());
      ring.mark_complete();
      std::erase_if(awaited, [this](const core::KeyId& id) { return ring.get(id).has_value(); });
      if (awaited.empty()) co_return;
      if (++announced_tries > kAnnouncedRetries) {
        spdlog::warn("gateway: {} API key(s) announced on the feed are unknown to the core, e.g. {}", awaited.size(),
                     awaited.front().str());
        co_return;
      }
      pause.expires_after(announced_pause);
      announced_pause *= 2;
      co_await pause.async_wait(use_tuple);
    }
  }

  KeyRing& ring;
  std::shared_ptr<const CoreClient> core;
  asio::any_io_executor executor;
  std::mutex mu;
  bool listing = false;
  bool again = false;
  std::vector<core::KeyId> announced;
};

KeySync::KeySync(KeyRing& ring, std::shared_ptr<const CoreClient> core, asio::any_io_executor executor)
    : shared_(std::make_shared<Shared>(ring, std::move(core), std::move(executor))) {}

void KeySync::apply(const core::KeyMessage& message) {
  if (std::holds_alternative<core::ApiKeyRevoked>(message.event)) {
    shared_->ring.apply(message.id, message.at, message.event);
  } else {
    shared_->announce(message.id);
  }
}

void KeySync::refresh() { shared_->refresh(); }

}  // namespace oee::api
