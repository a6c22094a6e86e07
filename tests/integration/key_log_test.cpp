// The core's key ring follows the log: a key event is in the ring before
// any listener registered after follow_keys (the publisher, which tells the
// gateways) sees it, and before the append's completion answers the client.

#include <atomic>
#include <chrono>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/auth/key_log.h"
#include "api/auth/key_ring.h"
#include "api/auth/key_secret.h"
#include "log_futures.h"
#include "scratch_log.h"

namespace oee {
namespace {

TEST(KeyLog, TheRingHoldsAKeyBeforeAnyLaterListenerSeesItsEvent) {
  testing::ScratchLog scratch("key-log");
  auto& log = scratch.log();
  api::KeyRing ring;
  ring.mark_complete();
  const auto feed = api::follow_keys(log, ring);
  const core::KeyId id = core::KeyId::random();
  std::atomic<int> seen{0}, known_when_seen{0}, revoked_when_seen{0};
  const auto announcer = log.on_commit([&](std::span<const eventlog::Record> records) {
    for (const auto& r : records) {
      if (r.order != id) continue;
      ++seen;
      const auto key = ring.get(id);
      if (key) ++known_when_seen;
      if (key && key->revoked_at) ++revoked_when_seen;
    }
  });

  boost::asio::io_context ioc;
  const core::KeyEvent created = core::ApiKeyCreated{"bot", core::Scopes(static_cast<std::uint8_t>(core::Scope::orders_read)),
                                                     api::new_key_secret().hash, {}, std::nullopt, std::nullopt};
  const core::KeyEvent revoked = core::ApiKeyRevoked{};
  auto done = boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<bool> {
        const auto first = co_await api::append_key_event(log, id, created);
        const bool known_at_answer = first.has_value() && ring.get(id).has_value();
        const auto second = co_await api::append_key_event(log, id, revoked);
        co_return known_at_answer && second.has_value() && ring.get(id)->revoked_at.has_value();
      },
      boost::asio::use_future);
  ioc.run_for(testing::kCompletionDeadline);
  ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "an append was never answered";
  EXPECT_TRUE(done.get()) << "the answer comes after the ring has the event";
  EXPECT_EQ(seen.load(), 2);
  EXPECT_EQ(known_when_seen.load(), 2) << "a later listener never sees a key the ring does not hold";
  EXPECT_EQ(revoked_when_seen.load(), 1);
}

}  // namespace
}  // namespace oee
