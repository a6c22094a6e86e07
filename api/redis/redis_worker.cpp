#include "api/redis/redis_worker.h"

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;
using namespace std::chrono_literals;

RedisWorker::RedisWorker(std::string name, RedisEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

RedisWorker::~RedisWorker() { stop(); }

void RedisWorker::start(std::function<asio::awaitable<void>()> body) {
  asio::co_spawn(ioc_, run(std::move(body)), asio::detached);
  thread_ = std::thread([this] {
    const std::string thread_name = "oee-" + name_;  // names it in top -H, perf and gdb
    pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
    ioc_.run();
  });
}

asio::awaitable<void> RedisWorker::run(std::function<asio::awaitable<void>()> body) {
  co_await body();
  ioc_.stop();  // also ends the stop() deadline
}

bool RedisWorker::stop(std::chrono::milliseconds stop_deadline) {
  if (!thread_.joinable()) return false;
  stopping_ = true;
  asio::post(ioc_, [this, stop_deadline] {
    wake_.cancel();
    backoff_.cancel();
    // Bounded: a Redis that stopped answering must not hold up shutdown.
    deadline_.expires_after(stop_deadline);
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) ioc_.stop();
    });
  });
  thread_.join();
  return true;
}

asio::awaitable<void> RedisWorker::serve(std::function<asio::awaitable<void>(RedisConnection&)> session) {
  std::chrono::milliseconds backoff = 100ms;
  bool first = true;
  while (!stopping()) {
    auto conn = RedisConnection::make(ioc_.get_executor());
    const RedisReady ready = co_await conn->connect(endpoint_, 2s);
    if (ready) {
      lost_ = false;
      connected_ = true;
      conn->on_disconnect([this](std::string reason) { drop(reason.empty() ? "connection lost" : std::move(reason)); });
      const auto since = std::chrono::steady_clock::now();
      co_await session(*conn);
      connected_ = false;
      if (stopping()) break;
      ++reconnects_;
      spdlog::warn("{}: lost Redis ({}); reconnecting", name_, last_error());
      // A session that lasted is retried at once; one that fails straight
      // away backs off like a failed connect.
      if (std::chrono::steady_clock::now() - since > 1s) {
        backoff = 100ms;
        first = false;
        continue;
      }
    } else {
      set_error(ready.error());
      if (first || backoff >= 1s) spdlog::warn("{}: Redis unavailable: {}; retrying", name_, ready.error());
    }
    first = false;
    co_await back_off(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
  }
}

asio::awaitable<void> RedisWorker::sleep(std::chrono::steady_clock::duration d) {
  if (stopping() || lost_) co_return;
  if (d == std::chrono::steady_clock::duration::max()) {
    wake_.expires_at(asio::steady_timer::time_point::max());
  } else {
    wake_.expires_after(d);
  }
  co_await wake_.async_wait(use_tuple);
}

asio::awaitable<void> RedisWorker::back_off(std::chrono::milliseconds d) {
  if (stopping()) co_return;
  backoff_.expires_after(d);
  co_await backoff_.async_wait(use_tuple);
}

void RedisWorker::wake() {
  if (woken_.exchange(true)) return;  // one post in flight covers every caller
  asio::post(ioc_, [this] {
    woken_ = false;
    wake_.cancel();
  });
}

void RedisWorker::drop(std::string reason) {
  lost_ = true;
  set_error(std::move(reason));
  wake_.cancel();
}

std::string RedisWorker::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void RedisWorker::set_error(std::string error) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(error);
}

}  // namespace oee::api
