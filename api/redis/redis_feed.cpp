#include "api/redis/redis_feed.h"

#include <atomic>

#include <spdlog/spdlog.h>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_publisher.h"
#include "api/redis/redis_worker.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct RedisFeed::Impl {
  Impl(Hub& h, RedisEndpoint ep) : hub(h), worker("redis-feed", std::move(ep)) {}

  Hub& hub;
  RedisWorker worker;
  std::uint64_t expected = 0;  // next seq; 0: unknown (just subscribed)
  std::atomic<bool> subscribed{false};
  std::atomic<std::uint64_t> last_seq{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> gaps{0};

  void resync(const char* why) {
    ++gaps;
    spdlog::debug("feed: resync ({})", why);
    hub.resync_all();
  }

  void on_push(const RedisValue& v) {
    if (v.kind == RedisValue::Kind::error) {
      worker.drop(v.text);  // e.g. NOAUTH: not subscribed, so not connected either
      return;
    }
    if (v.kind != RedisValue::Kind::array || v.items.size() < 3) return;
    const std::string& kind = v.items[0].text;
    if (kind == "subscribe") {
      subscribed = true;
      spdlog::info("feed: subscribed to {} on {}", kAllOrdersChannel, redacted(worker.endpoint()));
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

  // One connection: subscribed until it is lost or the feed stops.
  asio::awaitable<void> session(RedisConnection& conn) {
    conn.subscribe(std::string(kAllOrdersChannel), [this](const RedisValue& v) { on_push(v); });
    while (!worker.lost() && !worker.stopping()) co_await worker.sleep();
    subscribed = false;  // the worker logs the loss and reconnects
  }
};

RedisFeed::RedisFeed(Hub& hub, RedisEndpoint endpoint) : impl_(std::make_unique<Impl>(hub, std::move(endpoint))) {}

RedisFeed::~RedisFeed() { stop(); }

void RedisFeed::start() {
  impl_->worker.start(
      [p = impl_.get()] { return p->worker.serve([p](RedisConnection& conn) { return p->session(conn); }); });
}

void RedisFeed::stop() { impl_->worker.stop(); }

FeedStatus RedisFeed::status() const {
  FeedStatus s;
  s.subscribed = impl_->subscribed.load();
  s.last_seq = impl_->last_seq.load();
  s.messages = impl_->messages.load();
  s.gaps = impl_->gaps.load();
  s.reconnects = impl_->worker.reconnects();
  s.last_error = impl_->worker.last_error();
  return s;
}

}  // namespace oee::api
