#include "api/redis/redis_publisher.h"

#include <future>
#include <optional>

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_worker.h"
#include "core/wire/key_codec.h"
#include "core/wire/key_message.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::string_view kCursor = "redis-publisher";
// Where the first publisher of this log (or partition) began, plus one:
// stored before it publishes anything, so a next start (a restart, a
// cluster node taking the partition over) that finds no cursor yet goes on
// from there, not from its own head past what was never published.
constexpr std::string_view kBegan = "redis-publisher-began";
}  // namespace

std::string order_channel(const OrderId& order) { return "oee:order:" + order.str(); }

namespace {
// A message that only holds its record's place in the seqs.
std::string seq_only(const eventlog::Record& r, std::string_view type) {
  std::string text = R"({"type":")" + std::string(type) + R"(","seq":)" + std::to_string(r.seq.value);
  if (r.partition) text += R"(,"partition":)" + std::to_string(r.partition->value);
  return text + "}";
}
}  // namespace

struct Publisher::Impl {
  Impl(eventlog::LogPartitionWriter& l, PublisherOptions o)
      : log(l), options(std::move(o)), worker("publisher", options.endpoint) {}

  eventlog::LogPartitionWriter& log;
  PublisherOptions options;
  RedisWorker worker;  // commits and stop() wake its sleeps
  eventlog::CommitSubscription commits;  // after the worker it wakes
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> messages{0};
  Seq stored{0};
  std::chrono::steady_clock::time_point stored_at{};

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

  // Publishes one batch; false when the connection is of no more use.
  asio::awaitable<bool> publish_batch(RedisConnection& conn, const std::vector<eventlog::Record>& records) {
    std::string text;
    std::string_view last_channel;
    std::uint64_t sent = 1;  // the batch's last PUBLISH
    for (const auto& r : records) {
      if (eventlog::is_log_own_type(r.type)) {
        // The log's own (a partition's new owner): its seq alone, so
        // gateways see no gap.
        text = seq_only(r, "log");
        last_channel = kKeysChannel;
      } else if (core::is_key_event(r.type)) {
        // Not an order's: gateways learn the keys from it.
        // An undecodable one (the audit reports it) still carries its seq,
        // so gateways see no gap.
        auto event = core::decode_key_event(r.type, r.payload);
        if (event) {
          auto message = core::key_message(core::KeyMessage{r.order, r.ts, std::move(*event), r.seq});
          if (r.partition) message["partition"] = r.partition->value;
          text = boost::json::serialize(message);
        } else {
          text = seq_only(r, "unreadable");
        }
        last_channel = kKeysChannel;
      } else {
        // Each status message the record shows as (a routedAndSent's steps), in order.
        auto texts = core::status_message_texts(r);
        const auto channel = order_channel(r.order);
        for (std::size_t i = 0; i + 1 < texts.size(); ++i) {
          conn.command({"PUBLISH", channel, texts[i]});
          conn.command({"PUBLISH", kAllOrdersChannel, texts[i]});
          sent += 2;
        }
        text = std::move(texts.back());
        conn.command({"PUBLISH", channel, text});
        ++sent;
        last_channel = kAllOrdersChannel;
      }
      if (&r != &records.back()) {
        conn.command({"PUBLISH", last_channel, text});
        ++sent;
      }
    }
    // Replies come in order: waiting for the last one covers the batch.
    std::vector<std::string_view> last{"PUBLISH", last_channel, text};  // named: [gcc12-coro]
    auto reply = co_await conn.call(last, options.reply_timeout);
    if (!reply) {
      if (!worker.lost()) worker.drop("no reply to PUBLISH within the reply timeout");
      co_return false;
    }
    if (reply->kind == RedisValue::Kind::error) {
      worker.drop(reply->text);
      co_return false;
    }
    messages += sent;
    co_return true;
  }

  // Where to start: after the stored cursor; else where the first start
  // began; else, on the very first start, at the head (older events were
  // never live), recorded before anything is published. A cursor that
  // cannot be read or recorded is not "no cursor": starting at the head
  // would skip every event since, so the publisher says why, publishes
  // nothing and tries again. None once stopping.
  asio::awaitable<std::optional<Seq>> start_seq() {
    auto backoff = 100ms;
    for (bool first = true; !worker.stopping(); first = false) {
      const auto from = stored_start();
      if (from) co_return *from;
      if (worker.stopping()) break;
      const std::string why = "cannot read its cursor or record where it began (" + from.error().message() +
                              "); publishing nothing until it can";
      worker.set_error(why);
      if (first) spdlog::error("publisher: {}", why);
      co_await worker.back_off(backoff);  // commits would cut a sleep short
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    }
    co_return std::nullopt;
  }

  eventlog::Result<Seq> stored_start() {
    const auto cursor = log.cursor(kCursor);
    if (!cursor) return cursor.error();
    if (cursor->value > 0) return *cursor;
    const auto began = log.cursor(kBegan);
    if (!began) return began.error();
    if (began->value > 0) return Seq{began->value - 1};
    const Seq head = log.head();
    auto recorded = std::make_shared<std::promise<std::error_code>>();
    auto done = recorded->get_future();
    log.store_cursor(std::string(kBegan), Seq{head.value + 1},
                     [recorded](std::error_code ec) { recorded->set_value(ec); });
    // A log that cannot write (its disk full) may take long to say so:
    // a stop does not wait for it.
    while (done.wait_for(100ms) != std::future_status::ready) {
      if (worker.stopping()) return make_error_code(std::errc::operation_canceled);
    }
    if (const auto ec = done.get()) return ec;
    return head;
  }

  // One connection: publishes what the log has past the cursor, then
  // sleeps until the next commit (or the cursor interval).
  asio::awaitable<void> session(RedisConnection& conn) {
    spdlog::info("publisher: connected to {}, publishing from seq {}", redacted(options.endpoint),
                 published.load() + 1);
    while (!worker.lost()) {
      const Seq done{published.load()};
      if (log.head() <= done) {
        persist_cursor();
        if (worker.stopping()) break;
        co_await worker.sleep(options.cursor_interval);
        continue;
      }
      auto records = log.read(Seq{done.value + 1}, options.max_batch);
      if (!records || records->empty()) {
        worker.set_error(records ? "log read returned nothing" : records.error().message());
        if (worker.stopping()) break;
        co_await worker.back_off(100ms);
        continue;
      }
      if (!co_await publish_batch(conn, *records)) break;
      published = records->back().seq.value;
      persist_cursor();
    }
  }

  asio::awaitable<void> run() {
    const auto from = co_await start_seq();
    if (!from) co_return;
    published = from->value;
    stored = *from;
    co_await worker.serve([this](RedisConnection& conn) { return session(conn); });
  }
};

Publisher::Publisher(eventlog::LogPartitionWriter& log, PublisherOptions options)
    : impl_(std::make_unique<Impl>(log, std::move(options))) {}

Publisher::~Publisher() { stop(); }

void Publisher::start() {
  impl_->commits = impl_->log.on_commit([impl = impl_.get()](std::span<const eventlog::Record>) { impl->worker.wake(); });
  impl_->worker.start([p = impl_.get()] { return p->run(); });
}

void Publisher::stop() {
  impl_->commits.reset();
  if (!impl_->worker.stop()) return;
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
  s.connected = impl_->worker.connected();
  s.published_seq = impl_->published.load();
  const auto head = impl_->log.head().value;
  s.lag_events = head > s.published_seq ? head - s.published_seq : 0;
  s.messages = impl_->messages.load();
  s.reconnects = impl_->worker.reconnects();
  s.last_error = impl_->worker.last_error();
  return s;
}

}  // namespace oee::api
