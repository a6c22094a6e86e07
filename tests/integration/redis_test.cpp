// The Redis adapter and the publisher against a real redis-server.

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <filesystem>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include "api/redis/redis_connection.h"
#include "api/redis/redis_publisher.h"
#include "core/engine/order_store.h"
#include "core/wire/status_message.h"
#include "order_lifecycle.h"
#include "eventually.h"
#include "faulty_log.h"
#include "scratch_log.h"
#include "redis_server.h"

namespace oee::api {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A plain blocking subscriber (hiredis's sync API): the other side of the wire.
class TestSubscriber {
 public:
  TestSubscriber(std::uint16_t port, const std::string& channel, const std::string& password = {}) {
    c_ = redisConnect("127.0.0.1", port);
    if (c_ == nullptr || c_->err != 0) throw std::runtime_error("test subscriber cannot connect");
    if (!password.empty()) freeReplyObject(redisCommand(c_, "AUTH %s", password.c_str()));
    auto* r = static_cast<redisReply*>(redisCommand(c_, "SUBSCRIBE %s", channel.c_str()));
    if (r == nullptr) throw std::runtime_error("SUBSCRIBE failed");
    freeReplyObject(r);
    const timeval tv{10, 0};
    redisSetTimeout(c_, tv);
  }
  ~TestSubscriber() { redisFree(c_); }
  TestSubscriber(const TestSubscriber&) = delete;
  TestSubscriber& operator=(const TestSubscriber&) = delete;

  /// The next message's payload; nullopt after 10 s of silence.
  std::optional<std::string> next() {
    void* reply = nullptr;
    if (redisGetReply(c_, &reply) != REDIS_OK || reply == nullptr) return std::nullopt;
    auto* r = static_cast<redisReply*>(reply);
    std::optional<std::string> payload;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) payload.emplace(r->element[2]->str, r->element[2]->len);
    freeReplyObject(r);
    return payload;
  }

 private:
  redisContext* c_ = nullptr;
};

template <class F>
bool run_until(asio::io_context& ioc, F&& done, std::chrono::seconds timeout = 10s) {
  ioc.restart();
  for (auto deadline = std::chrono::steady_clock::now() + timeout; !done();) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ioc.run_for(10ms);
  }
  return true;
}

RedisEndpoint endpoint_of(const oee::testing::RedisServer& redis) {
  auto ep = parse_redis_url(redis.url());
  if (!ep) throw std::runtime_error(ep.error());
  return *ep;
}

// Coroutine bodies are free functions with pointer parameters: a lambda
// coroutine's captures die with the lambda at its first suspension.
asio::awaitable<void> connect_and_ping(const RedisEndpoint* ep, std::string* error, std::string* pong) {
  auto conn = RedisConnection::make(co_await asio::this_coro::executor);
  const RedisReady ready = co_await conn->connect(*ep, 2s);
  if (!ready) {
    *error = ready.error();
    co_return;
  }
  error->clear();
  std::vector<std::string_view> ping{"PING"};
  auto reply = co_await conn->call(ping, 2s);
  if (reply) *pong = reply->text;
}

TEST(RedisConnection, AuthenticatesAndAnswers) {
  oee::testing::RedisServer redis("s3cret");
  asio::io_context ioc;
  auto ep = endpoint_of(redis);
  std::string error, pong;
  asio::co_spawn(ioc, connect_and_ping(&ep, &error, &pong), asio::detached);
  ioc.run();
  EXPECT_EQ(error, "");
  EXPECT_EQ(pong, "PONG");

  ep.password = "wrong";
  error.clear();
  pong.clear();
  ioc.restart();
  asio::co_spawn(ioc, connect_and_ping(&ep, &error, &pong), asio::detached);
  ioc.run();
  EXPECT_NE(error.find("WRONGPASS"), std::string::npos) << error;
  EXPECT_EQ(pong, "");
}

asio::awaitable<void> set_in_db(const RedisEndpoint* ep, std::string* error) {
  auto conn = RedisConnection::make(co_await asio::this_coro::executor);
  const RedisReady ready = co_await conn->connect(*ep, 2s);
  if (!ready) {
    *error = ready.error();
    co_return;
  }
  error->clear();
  std::vector<std::string_view> set{"SET", "oee:test:db", "here"};
  auto reply = co_await conn->call(set, 2s);
  if (!reply || reply->text != "OK") *error = "SET failed";
}

TEST(RedisConnection, SelectsTheDatabaseFromTheUrl) {
  oee::testing::RedisServer redis;
  auto ep = parse_redis_url(redis.url() + "/3");
  ASSERT_TRUE(ep) << ep.error();
  asio::io_context ioc;
  std::string error = "unset";
  asio::co_spawn(ioc, set_in_db(&*ep, &error), asio::detached);
  ioc.run();
  ASSERT_EQ(error, "");
  redisContext* c = redisConnect("127.0.0.1", redis.port());
  ASSERT_TRUE(c != nullptr && c->err == 0);
  auto* in3 = static_cast<redisReply*>(redisCommand(c, "SELECT 3"));
  freeReplyObject(in3);
  auto* got = static_cast<redisReply*>(redisCommand(c, "EXISTS oee:test:db"));
  EXPECT_EQ(got->integer, 1);
  freeReplyObject(got);
  auto* in0 = static_cast<redisReply*>(redisCommand(c, "SELECT 0"));
  freeReplyObject(in0);
  auto* not0 = static_cast<redisReply*>(redisCommand(c, "EXISTS oee:test:db"));
  EXPECT_EQ(not0->integer, 0);
  freeReplyObject(not0);
  redisFree(c);
}

TEST(RedisConnection, RefusedAndLostConnectionsAreReported) {
  oee::testing::RedisServer redis;
  auto ep = endpoint_of(redis);
  asio::io_context ioc;

  // Lost: a subscribed connection hears about a kill -9 of the server.
  std::shared_ptr<RedisConnection> conn;
  std::string error = "unset", lost;
  int confirmations = 0;
  auto connect = [](std::shared_ptr<RedisConnection>* c, const RedisEndpoint* e, std::string* err)
      -> asio::awaitable<void> {
    *c = RedisConnection::make(co_await asio::this_coro::executor);
    const RedisReady ready = co_await (*c)->connect(*e, 2s);
    *err = ready ? std::string() : ready.error();
  };
  asio::co_spawn(ioc, connect(&conn, &ep, &error), asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return error != "unset"; }));
  ASSERT_EQ(error, "");
  conn->on_disconnect([&](std::string reason) { lost = reason.empty() ? "?" : reason; });
  ASSERT_TRUE(conn->subscribe("oee:test", [&](const RedisValue& v) {
    if (v.kind == RedisValue::Kind::array && !v.items.empty() && v.items[0].text == "subscribe") ++confirmations;
  }));
  ASSERT_TRUE(run_until(ioc, [&] { return confirmations > 0; }));
  EXPECT_EQ(confirmations, 1);
  redis.kill();
  EXPECT_TRUE(run_until(ioc, [&] { return !lost.empty(); })) << "the disconnect handler never ran";
  EXPECT_FALSE(conn->connected());

  // Refused: nothing listens on the port now.
  std::string pong;
  ioc.restart();
  asio::co_spawn(ioc, connect_and_ping(&ep, &error, &pong), asio::detached);
  ioc.run();
  EXPECT_NE(error, "");
  EXPECT_EQ(pong, "");
}

class PublisherTest : public ::testing::Test {
 protected:
  // The next `count` messages (fewer if the channel goes silent). A
  // record's messages share its seq (a routedAndSent is up to three), so
  // reading until a seq arrives could stop inside a record: read as many as
  // expected() gives.
  std::vector<std::string> receive(TestSubscriber& sub, std::size_t count) {
    std::vector<std::string> got;
    while (got.size() < count) {
      auto m = sub.next();
      if (!m) break;
      got.push_back(std::move(*m));
    }
    return got;
  }

  // Every message of the records of seqs [from, to], in order: each
  // record's status messages (status_message_texts), as the publisher sends them.
  std::vector<std::string> expected(std::uint64_t from, std::uint64_t to) {
    auto records = log_.read(Seq{from}, to - from + 1);
    std::vector<std::string> out;
    for (const auto& r : records.value()) {
      for (auto& text : core::status_message_texts(r)) out.push_back(std::move(text));
    }
    return out;
  }

  oee::testing::RedisServer redis_;
  oee::testing::ScratchLog scratch_{"publisher-test"};
  eventlog::LogPartitionWriter& log_ = scratch_.log();
  core::OrderStore& store_ = scratch_.store();
};

TEST_F(PublisherTest, PublishesEveryEventInOrderAndResumesFromItsCursorAfterAnOutage) {
  const auto ep = endpoint_of(redis_);
  TestSubscriber all(redis_.port(), std::string(kAllOrdersChannel));
  auto publisher = std::make_unique<Publisher>(log_, PublisherOptions{ep});
  publisher->start();
  ASSERT_TRUE(oee::testing::eventually_true([&] { return publisher->status().connected; }, 10s));

  const auto first = oee::testing::drive_orders(store_, 40, 1);
  const std::uint64_t head1 = log_.head().value;
  ASSERT_GT(head1, 40u);
  // Every event's every message, in seq order, exactly the WebSocket JSON.
  const auto want1 = expected(1, head1);
  EXPECT_EQ(receive(all, want1.size()), want1);

  // One order's channel carries exactly that order's events.
  TestSubscriber one(redis_.port(), order_channel(first.ids[0]));
  // Redis down: events keep being appended; the publisher cannot deliver them.
  redis_.kill();
  ASSERT_TRUE(oee::testing::eventually_true([&] { return !publisher->status().connected; }, 10s));
  oee::testing::drive_orders(store_, 30, 2);
  const std::uint64_t head2 = log_.head().value;
  publisher->stop();  // stores its cursor: the last seq Redis acknowledged
  publisher.reset();
  EXPECT_EQ(log_.cursor("redis-publisher").value().value, head1);

  // A new publisher (a restarted core) starts where Redis stopped acknowledging.
  redis_.resume();
  TestSubscriber after(redis_.port(), std::string(kAllOrdersChannel));
  publisher = std::make_unique<Publisher>(log_, PublisherOptions{ep});
  publisher->start();
  const auto want2 = expected(head1 + 1, head2);
  EXPECT_EQ(receive(after, want2.size()), want2);
  ASSERT_TRUE(oee::testing::eventually_true([&] { return publisher->status().published_seq == head2; }, 10s));
  publisher->stop();
}

// A cursor that cannot be read is not a missing one: the publisher waits
// and says why, and once it can read the cursor it publishes from there,
// skipping nothing (it used to start at the head).
TEST_F(PublisherTest, AnUnreadableCursorStopsThePublisherInsteadOfSkippingToTheHead) {
  oee::testing::drive_orders(store_, 10, 1);
  const std::uint64_t stored = log_.head().value;
  std::promise<std::error_code> done;
  log_.store_cursor("redis-publisher", Seq{stored}, [&](std::error_code ec) { done.set_value(ec); });
  ASSERT_FALSE(done.get_future().get());
  oee::testing::drive_orders(store_, 10, 2);  // appended while no publisher ran
  const std::uint64_t head = log_.head().value;

  oee::testing::FaultyLog faulty(log_);
  faulty.fail_cursor = true;
  TestSubscriber all(redis_.port(), std::string(kAllOrdersChannel));
  Publisher publisher(faulty, PublisherOptions{endpoint_of(redis_)});
  publisher.start();
  ASSERT_TRUE(oee::testing::eventually_true(
      [&] { return publisher.status().last_error.find("cannot read its cursor") != std::string::npos; }, 10s));
  EXPECT_EQ(publisher.status().messages, 0u);

  faulty.fail_cursor = false;
  const auto want = expected(stored + 1, head);
  EXPECT_EQ(receive(all, want.size()), want);
  publisher.stop();
}

// A publisher that began but had nothing acknowledged leaves no cursor; the
// next one (a restart, a cluster node taking the partition over) goes on
// from where the first began, not from its own head past what was never
// published.
TEST_F(PublisherTest, ANextPublisherGoesOnFromWhereTheFirstBeganWhenNoCursorWasStored) {
  oee::testing::drive_orders(store_, 5, 1);
  const std::uint64_t began = log_.head().value;  // older events were never live
  redis_.kill();
  {
    Publisher first(log_, PublisherOptions{endpoint_of(redis_)});
    first.start();
    ASSERT_TRUE(oee::testing::eventually_true([&] { return first.status().published_seq == began; }, 10s));
    oee::testing::drive_orders(store_, 10, 2);  // appended while Redis acknowledged nothing
    first.stop();
  }
  EXPECT_EQ(log_.cursor("redis-publisher").value().value, 0u) << "nothing was acknowledged";
  const std::uint64_t head = log_.head().value;
  ASSERT_GT(head, began);
  redis_.resume();
  TestSubscriber all(redis_.port(), std::string(kAllOrdersChannel));
  Publisher next(log_, PublisherOptions{endpoint_of(redis_)});
  next.start();
  const auto want = expected(began + 1, head);
  EXPECT_EQ(receive(all, want.size()), want);
  next.stop();
}

TEST_F(PublisherTest, PerOrderChannelCarriesOnlyThatOrder) {
  const auto ep = endpoint_of(redis_);
  Publisher publisher(log_, PublisherOptions{ep});
  publisher.start();
  ASSERT_TRUE(oee::testing::eventually_true([&] { return publisher.status().connected; }, 10s));
  // Subscribe to an order before it exists, then create it among others.
  const OrderId followed = OrderId::random();
  TestSubscriber one(redis_.port(), order_channel(followed));
  core::OrderState state;
  std::mt19937_64 rng(7);
  std::vector<std::string> sent;
  while (!core::is_terminal(state.status)) {
    oee::testing::drive_orders(store_, 3, rng());
    auto appended = oee::testing::append_and_wait(store_, followed, state, oee::testing::next_event(state, rng));
    ASSERT_TRUE(appended) << appended.error().message();
    state = appended->state;
  }
  // Each of the order's records' messages (a routedAndSent's every step), in order.
  auto records = log_.read_order(followed).value();
  for (const auto& r : records) {
    const auto texts = core::status_message_texts(r);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      auto m = one.next();
      ASSERT_TRUE(m) << "missing seq " << r.seq.value << " message " << i + 1 << " of " << texts.size();
      EXPECT_EQ(*m, texts[i]);
    }
  }
  publisher.stop();
}

}  // namespace
}  // namespace oee::api
