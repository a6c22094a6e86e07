#include "api/redis/redis_publisher.h"

#include <pthread.h>

#include <future>
#include <mutex>
#include <optional>
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
#include "core/wire/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kCursor = "redis-publisher";
}  // namespace

std::string order_channel(const OrderId& order) { return "oee:order:" + order.str(); }

struct Publisher::Impl : std::enable_shared_from_this<Impl> {
  Impl(eventlog::EventLog& l, PublisherOptions o) : log(l), options(std::move(o)), wake(ioc) {}

  eventlog::EventLog& log;
  PublisherOptions options;
  asio::io_context ioc{1};
  asio::steady_timer wake;  // commits, stop() and backoff sleeps all go through it
  asio::steady_timer deadline{ioc};  // bounds stop()
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> notified{false};
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> reconnects{0};
  mutable std::mutex mu;
  std::string last_error;
  Seq stored{0};
  std::chrono::steady_clock::time_point stored_at{};

  void set_error(std::string e) {
    std::lock_guard lock(mu);
    last_error = std::move(e);
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    wake.expires_after(d);
    co_await wake.async_wait(kTuple);
  }

  void persist_cursor() {
    const Seq at{published.load()};
    const auto now = std::chrono::steady_clock::now();
    if (at == stored || now - stored_at < options.cursor_interval) return;
    stored = at;
    stored_at = now;
    log.store_cursor(std::string(kCursor), at, [](std::error_code ec) {
      // The next store repeats it; a lost cursor only means republishing.
      if (ec) spdlog::warn("publisher: storing the cursor failed: {}", ec.message());
    });
  }

  // Publishes one batch; false when the connection is gone.
  asio::awaitable<bool> publish_batch(RedisConnection& conn, const std::vector<eventlog::Record>& records) {
    std::string text;
    for (const auto& r : records) {
      text = core::status_message_text(r);
      conn.command({"PUBLISH", order_channel(r.order), text});
      if (&r != &records.back()) conn.command({"PUBLISH", kAllOrdersChannel, text});
    }
    // Replies come in order: waiting for the last one covers the batch.
    std::vector<std::string_view> last{"PUBLISH", kAllOrdersChannel, text};  // named: GCC 12 and co_await
    auto reply = co_await conn.call(last, options.reply_timeout);
    if (!reply) co_return false;
    if (reply->kind == RedisValue::Kind::error) {
      set_error(reply->text);
      co_return false;
    }
    co_return true;
  }

  // Where to start: after the stored cursor, or at the head on a first
  // start. A cursor that cannot be read is not "no cursor": starting at the
  // head would skip every event since it was stored, so the publisher says
  // why, publishes nothing and tries again. None once stopping.
  asio::awaitable<std::optional<Seq>> start_seq() {
    auto backoff = 100ms;
    for (bool first = true; !stopping; first = false) {
      auto stored_cursor = log.cursor(kCursor);
      if (stored_cursor) co_return stored_cursor->value > 0 ? *stored_cursor : log.head();
      const std::string why = "cannot read its cursor (" + stored_cursor.error().message() +
                              "); publishing nothing until it can";
      set_error(why);
      if (first) spdlog::error("publisher: {}", why);
      co_await sleep(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    }
    co_return std::nullopt;
  }

  asio::awaitable<void> run() {
    const auto from = co_await start_seq();
    if (!from) {
      ioc.stop();
      co_return;
    }
    published = from->value;
    stored = *from;
    std::chrono::milliseconds backoff = 100ms;
    bool first = true;
    while (!stopping) {
      auto conn = RedisConnection::make(ioc.get_executor());
      const std::string error = co_await conn->connect(options.endpoint, 2s);
      if (!error.empty()) {
        if (first || backoff >= 1s) spdlog::warn("publisher: Redis unavailable: {}; retrying", error);
        set_error(error);
        first = false;
        co_await sleep(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
        continue;
      }
      spdlog::info("publisher: connected to {}, publishing from seq {}", redacted(options.endpoint),
                   published.load() + 1);
      connected = true;
      backoff = 100ms;
      first = false;
      conn->on_disconnect([this](const std::string& reason) {
        set_error(reason);
        wake.cancel();
      });
      while (conn->connected()) {
        const Seq done{published.load()};
        if (log.head() <= done) {
          persist_cursor();
          if (stopping) break;
          wake.expires_after(options.cursor_interval);
          co_await wake.async_wait(kTuple);
          continue;
        }
        auto records = log.read(Seq{done.value + 1}, options.max_batch);
        if (!records || records->empty()) {
          set_error(records ? "log read returned nothing" : records.error().message());
          co_await sleep(100ms);
          continue;
        }
        const bool ok = co_await publish_batch(*conn, *records);
        if (!ok) break;
        published = records->back().seq.value;
        messages += 2 * records->size();
        persist_cursor();
      }
      connected = false;
      if (stopping) break;
      ++reconnects;
      spdlog::warn("publisher: lost Redis at seq {}; reconnecting", published.load());
      set_error("connection lost");
    }
    ioc.stop();  // also ends the stop() deadline timer
  }
};

Publisher::Publisher(eventlog::EventLog& log, PublisherOptions options)
    : impl_(std::make_shared<Impl>(log, std::move(options))) {}

Publisher::~Publisher() { stop(); }

void Publisher::start() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->log.on_commit([weak](std::span<const eventlog::Record>) {
    auto impl = weak.lock();
    if (!impl || impl->notified.exchange(true)) return;
    // A raw pointer: handlers left in a stopped io_context must not keep
    // their owner alive.
    asio::post(impl->ioc, [p = impl.get()] {
      p->notified = false;
      p->wake.cancel();
    });
  });
  asio::co_spawn(impl_->ioc, impl_->run(), asio::detached);
  impl_->thread = std::thread([impl = impl_] {
    pthread_setname_np(pthread_self(), "oee-publisher");  // names it in top -H, perf and gdb
    impl->ioc.run();
  });
}

void Publisher::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  asio::post(impl_->ioc, [p = impl_.get()] {
    p->wake.cancel();
    // Bounded: a Redis that stopped answering must not hold up shutdown.
    p->deadline.expires_after(3s);
    p->deadline.async_wait([p](const boost::system::error_code& ec) {
      if (!ec) p->ioc.stop();
    });
  });
  impl_->thread.join();
  // The final cursor is stored before stop() returns, so the log can close.
  const Seq at{impl_->published.load()};
  if (at == impl_->stored) return;
  auto done = std::make_shared<std::promise<std::error_code>>();
  auto stored = done->get_future();
  impl_->log.store_cursor(std::string(kCursor), at, [done](std::error_code ec) { done->set_value(ec); });
  if (stored.wait_for(5s) != std::future_status::ready || stored.get()) {
    spdlog::warn("publisher: could not store its cursor at seq {}; events after the last stored cursor will be "
                 "published again", at.value);
  }
}

PublisherStatus Publisher::status() const {
  PublisherStatus s;
  s.connected = impl_->connected.load();
  s.published_seq = impl_->published.load();
  s.messages = impl_->messages.load();
  s.reconnects = impl_->reconnects.load();
  std::lock_guard lock(impl_->mu);
  s.last_error = impl_->last_error;
  return s;
}

}  // namespace oee::api
