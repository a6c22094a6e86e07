// A gateway's key sync against a stand-in core over real HTTP: the stand-in
// answers the key listing from a list the test controls.

#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/auth/key_ring.h"
#include "api/auth/key_secret.h"
#include "api/gateway/key_sync.h"
#include "eventually.h"

namespace oee {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;

// Answers GET /api/keys/events, one request per connection, with the
// events set at the time of the request.
class StandInCore {
 public:
  StandInCore() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~StandInCore() {
    stopping_ = true;
    asio::ip::tcp::socket wake(io_);
    boost::system::error_code ec;
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  void set(std::vector<core::KeyMessage> events) {
    std::lock_guard lock(mu_);
    events_ = std::move(events);
  }
  [[nodiscard]] int listings() const { return listings_.load(); }
  [[nodiscard]] api::CoreEndpoint endpoint() const {
    return {"127.0.0.1", std::to_string(acceptor_.local_endpoint().port())};
  }

 private:
  void serve() {
    while (!stopping_) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      json::array events;
      {
        std::lock_guard lock(mu_);
        for (const auto& m : events_) events.push_back(core::key_message(m));
      }
      ++listings_;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = json::serialize(json::object{{"events", std::move(events)}});
      res.prepare_payload();
      http::write(socket, res, ec);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> listings_{0};
  std::mutex mu_;
  std::vector<core::KeyMessage> events_;
};

core::KeyMessage created(const core::KeyId& id) {
  return {id, TimestampNs::now(),
          core::ApiKeyCreated{"k", core::Scopes::all(), api::new_key_secret().hash, {}, std::nullopt, std::nullopt},
          Seq{1}};
}

struct Synced {
  StandInCore core;
  api::KeyRing ring;
  asio::io_context io;
  std::unique_ptr<api::KeySync> sync{std::make_unique<api::KeySync>(
      ring, std::make_shared<const api::CoreClient>(core.endpoint(), ""), io.get_executor())};
  std::thread runner;
  void run() {
    runner = std::thread([this] {
      auto work = asio::make_work_guard(io);
      io.run();
    });
  }
  ~Synced() {
    io.stop();
    if (runner.joinable()) runner.join();
  }
};

TEST(KeySync, AKeyAnnouncedBeforeTheCoreListsItIsListedAgainUntilItIs) {
  Synced s;
  s.run();
  const auto key = core::KeyId::random();
  s.sync->apply(created(key));  // the core does not list it yet
  ASSERT_TRUE(testing::eventually_true([&] { return s.core.listings() >= 1; }, 10s));
  s.core.set({created(key)});
  EXPECT_TRUE(testing::eventually_true([&] { return s.ring.get(key).has_value(); }, 10s));
  EXPECT_TRUE(s.ring.complete());
}

TEST(KeySync, AnAnnouncedKeyTheCoreNeverListsStopsTheRetries) {
  Synced s;
  s.run();
  s.sync->apply(created(core::KeyId::random()));
  ASSERT_TRUE(testing::eventually_true([&] { return s.core.listings() >= 2; }, 10s)) << "it asks again";
  int settled = -1;
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        const int before = s.core.listings();
        std::this_thread::sleep_for(2s);  // longer than the retries' longest pause
        settled = s.core.listings();
        return settled == before;
      },
      30s));
  EXPECT_LE(settled, 7) << "a forged announcement costs a bounded number of listings";
  EXPECT_TRUE(s.ring.complete());
}

TEST(KeySync, EveryAnnouncementFromManyThreadsEndsListed) {
  Synced s;
  s.run();
  std::vector<core::KeyMessage> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(created(core::KeyId::random()));
  s.core.set(keys);
  std::vector<std::thread> announcers;
  for (int t = 0; t < 4; ++t) {
    announcers.emplace_back([&, t] {
      for (std::size_t i = t; i < keys.size(); i += 4) s.sync->apply(keys[i]);
    });
  }
  for (auto& a : announcers) a.join();
  EXPECT_TRUE(testing::eventually_true(
      [&] {
        for (const auto& k : keys) {
          if (!s.ring.get(k.id)) return false;
        }
        return true;
      },
      10s));
  EXPECT_LT(s.core.listings(), 64) << "announcements that come during a listing share the next one";
}

}  // namespace
}  // namespace oee
