#include "api/redis/redis_feed.h"

#include <pthread.h>

#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_publisher.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}

struct RedisFeed::Impl : std::enable_shared_from_this<Impl> {
  Impl(Hub& h, RedisEndpoint ep) : hub(h), endpoint(std::move(ep)), wake(ioc) {}

  Hub& hub;
  RedisEndpoint endpoint;
  asio::io_context ioc{1};
  asio::steady_timer wake;
  std::thread thread;
  bool stopping = false;  // on the feed's thread only
  std::uint64_t expected = 0;  // next seq; 0: unknown (just subscribed)
  std::atomic<bool> subscribed{false};
  std::atomic<std::uint64_t> last_seq{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> gaps{0};
  std::atomic<std::uint64_t> reconnects{0};
  mutable std::mutex mu;
  std::string last_error;

  void set_error(std::string e) {
    std::lock_guard lock(mu);
    last_error = std::move(e);
  }

  void resync(const char* why) {
    ++gaps;
    spdlog::debug("feed: resync ({})", why);
    hub.resync_all();
  }

  void on_push(const RedisValue& v) {
    if (v.kind != RedisValue::Kind::array || v.items.size() < 3) return;
    const std::string& kind = v.items[0].text;
    if (kind == "subscribe") {
      subscribed = true;
      spdlog::info("feed: subscribed to {} on {}", kAllOrdersChannel, redacted(endpoint));
      expected = 0;
      // Whatever was published while we were not subscribed is fetched now;
      // live messages from here on are held by each session until then.
      resync("subscribed");
      return;
    }
    if (kind != "message") return;
    auto update = parse_status_update(v.items[2].text);
    if (!update) {
      spdlog::warn("feed: ignoring a message that is not a status message on {}", v.items[1].text);
      return;
    }
    ++messages;
    const std::uint64_t seq = update->seq.value;
    // A jump means messages were lost on the way: resync before delivering
    // this one, so sessions hold it until the missed ones are fetched.
    if (expected != 0 && seq > expected) resync("gap");
    if (seq >= expected) expected = seq + 1;
    if (seq > last_seq.load(std::memory_order_relaxed)) last_seq.store(seq, std::memory_order_relaxed);
    hub.fan_out(update);
  }

  asio::awaitable<void> run() {
    std::chrono::milliseconds backoff = 100ms;
    bool first = true;
    while (!stopping) {
      auto conn = RedisConnection::make(ioc.get_executor());
      std::string error = co_await conn->connect(endpoint, 2s);
      if (error.empty()) {
        const auto since = std::chrono::steady_clock::now();
        auto lost = std::make_shared<bool>(false);
        auto drop = [this, lost](const std::string& reason) {
          *lost = true;
          set_error(reason);
          wake.cancel();
        };
        conn->on_disconnect(drop);
        conn->subscribe(std::string(kAllOrdersChannel), [this, drop](const RedisValue& v) {
          if (v.kind == RedisValue::Kind::error) {
            drop(v.text);  // e.g. NOAUTH: not subscribed, so not connected either
            return;
          }
          on_push(v);
        });
        while (!*lost && !stopping) {
          wake.expires_at(asio::steady_timer::time_point::max());
          co_await wake.async_wait(kTuple);
        }
        subscribed = false;
        if (stopping) break;
        ++reconnects;
        spdlog::warn("feed: lost Redis after seq {}; reconnecting", last_seq.load());
        first = false;
        // A subscription that lasted is retried at once; one that fails
        // straight away backs off like a failed connect.
        if (std::chrono::steady_clock::now() - since > 1s) {
          backoff = 100ms;
          continue;
        }
        std::lock_guard lock(mu);
        error = last_error;
      }
      if (first || backoff >= 1s) spdlog::warn("feed: Redis unavailable: {}; retrying", error);
      set_error(error);
      first = false;
      wake.expires_after(backoff);
      co_await wake.async_wait(kTuple);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    }
    ioc.stop();
  }
};

RedisFeed::RedisFeed(Hub& hub, RedisEndpoint endpoint) : impl_(std::make_shared<Impl>(hub, std::move(endpoint))) {}

RedisFeed::~RedisFeed() { stop(); }

void RedisFeed::start() {
  asio::co_spawn(impl_->ioc, impl_->run(), asio::detached);
  impl_->thread = std::thread([impl = impl_] {
    pthread_setname_np(pthread_self(), "oee-redis-feed");  // names it in top -H, perf and gdb
    impl->ioc.run();
  });
}

void RedisFeed::stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->ioc, [p = impl_.get()] {
    p->stopping = true;
    p->wake.cancel();
  });
  impl_->thread.join();
}

FeedStatus RedisFeed::status() const {
  FeedStatus s;
  s.subscribed = impl_->subscribed.load();
  s.last_seq = impl_->last_seq.load();
  s.messages = impl_->messages.load();
  s.gaps = impl_->gaps.load();
  s.reconnects = impl_->reconnects.load();
  std::lock_guard lock(impl_->mu);
  s.last_error = impl_->last_error;
  return s;
}

}  // namespace oee::api
