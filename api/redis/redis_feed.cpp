#include "api/redis/redis_feed.h"

#include <atomic>
#include <unordered_map>

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_publisher.h"
#include "api/redis/redis_worker.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct RedisFeed::Impl {
  Impl(Hub& h, RedisEndpoint ep, FeedHooks k) : hub(h), hooks(std::move(k)), worker("redis-feed", std::move(ep)) {}

  Hub& hub;
  FeedHooks hooks;
  RedisWorker worker;
  // The next seq of each partition (one in the embedded log); none:
  // unknown (just subscribed).
  std::unordered_map<std::uint32_t, std::uint64_t> expected;
  int confirmations = 0;       // of the two SUBSCRIBEs on this connection
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
      if (++confirmations < 2) return;
      subscribed = true;
      spdlog::info("feed: subscribed to {} and {} on {}", kAllOrdersChannel, kKeysChannel,
                   redacted(worker.endpoint()));
      expected.clear();
      // Whatever was published while we were not subscribed is fetched now;
      // live messages from here on are held by each session until then.
      resync("subscribed");
      if (hooks.keys_missed) hooks.keys_missed();
      return;
    }
    if (kind != "message") return;
    if (v.items[1].text == kKeysChannel) {
      on_key_message(v.items[2].text);
      return;
    }
    auto update = parse_status_update(v.items[2].text);
    if (!update) {
      spdlog::warn("feed: ignoring a message that is not a status message on {}", v.items[1].text);
      return;
    }
    ++messages;
    count(update->partition.value, update->seq.value);
    hub.fan_out(update);
  }

  void on_key_message(const std::string& text) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(text, ec);
    const auto* seq = !ec && value.is_object() ? value.get_object().if_contains("seq") : nullptr;
    const std::uint64_t n = seq != nullptr ? seq->to_number<std::uint64_t>(ec) : 0;
    if (seq == nullptr || ec) {
      spdlog::warn("feed: ignoring a message on {} that carries no seq", kKeysChannel);
      return;
    }
    std::uint32_t partition = 0;
    if (const auto* p = value.get_object().if_contains("partition"); p != nullptr) {
      partition = p->to_number<std::uint32_t>(ec);
      if (ec) {
        spdlog::warn("feed: ignoring a message on {} whose partition is not one", kKeysChannel);
        return;
      }
    }
    ++messages;
    count(partition, n);
    auto message = core::parse_key_message(value.get_object());
    if (!message) return;  // seq only: the publisher could not read that record
    spdlog::debug("feed: API key {} {}", message->id.str(),
                  std::holds_alternative<core::ApiKeyRevoked>(message->event) ? "revoked" : "created");
    if (hooks.key_event) hooks.key_event(*message);
  }

  // A jump means messages were lost on the way: resync before delivering
  // this one, so sessions hold it until the missed ones are fetched.
  void count(std::uint32_t partition, std::uint64_t seq) {
    auto [next, first] = expected.try_emplace(partition, 0);
    if (!first && seq > next->second) {
      resync("gap");
      if (hooks.keys_missed) hooks.keys_missed();
    }
    if (seq >= next->second) next->second = seq + 1;
    if (seq > last_seq.load(std::memory_order_relaxed)) last_seq.store(seq, std::memory_order_relaxed);
  }

  // One connection: subscribed until it is lost or the feed stops.
  asio::awaitable<void> session(RedisConnection& conn) {
    confirmations = 0;
    conn.subscribe(std::string(kAllOrdersChannel), [this](const RedisValue& v) { on_push(v); });
    conn.subscribe(std::string(kKeysChannel), [this](const RedisValue& v) { on_push(v); });
    while (!worker.lost() && !worker.stopping()) co_await worker.sleep();
    subscribed = false;  // the worker logs the loss and reconnects
  }
};

RedisFeed::RedisFeed(Hub& hub, RedisEndpoint endpoint, FeedHooks hooks)
    : impl_(std::make_unique<Impl>(hub, std::move(endpoint), std::move(hooks))) {}

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
