#pragma once
// What both ways of running the core share (the embedded log in
// server_main.cpp, a cluster node in cluster_node.cpp): threads, the serve
// loop until a signal, who a request is, the executor's options.

#include <pthread.h>

#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "api/auth/access.h"
#include "api/auth/key_ring.h"
#include "api/http/http_server.h"
#include "api/redis/redis_publisher.h"
#include "api/routes/app.h"
#include "api/routes/recurring_count.h"
#include "api/server/server_options.h"
#include "core/engine/executor.h"
#include "projections/history.h"
#include "projections/projector.h"

namespace oee::api {

/// Raises the calling thread's priority by `boost` nice levels (see --priority-boost).
void boost_this_thread(const char* name, int boost);

/// The oee-executor thread, running `ioc` (boosted by `priority_boost`).
[[nodiscard]] std::thread start_executor_thread(boost::asio::io_context& ioc, int priority_boost);

/// The machine-readable LISTENING line scripts and tests wait for.
void announce(const ServerConfig& config, const HttpServer& server);

// How long a stop waits for clients to take their last answers and close
// frames before it cuts them.
constexpr std::chrono::seconds kConnectionsGrace{5};

// Runs the HTTP threads until SIGINT/SIGTERM; `stop_rest` runs after the
// listener closed and before the threads are joined. The signals are
// caught before the LISTENING line goes out, so a SIGTERM sent as soon as
// it is read stops the server cleanly instead of killing it.
template <class StopRest>
void serve_until_signal(boost::asio::io_context& ioc, HttpServer& server, const ServerConfig& config,
                        unsigned threads, StopRest stop_rest) {
  namespace asio = boost::asio;
  asio::io_context signal_ioc;
  asio::signal_set signals(signal_ioc, SIGINT, SIGTERM);
  announce(config, server);
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      pthread_setname_np(pthread_self(), "oee-http");  // names it in top -H, perf and gdb
      server.run_thread();
    });
  }
  int signal_number = 0;
  signals.async_wait([&](const boost::system::error_code&, int sig) { signal_number = sig; });
  signal_ioc.run();
  spdlog::info("signal {}: stopping", signal_number);
  const bool closed = server.stop(kConnectionsGrace);
  if (!closed) {
    spdlog::warn("some connections did not close within {} s and were cut", kConnectionsGrace.count());
  }
  stop_rest();
  work.reset();
  ioc.stop();
  server.stop_threads();
  for (auto& t : pool) t.join();
  if (!closed) spdlog::info("the HTTP threads stopped; cut connections end with what they wait for");
}

/// Once the threads that ran `ioc` are joined and nothing posts to it any
/// more: runs what is left on it (the answer to a request cut at the stop,
/// come since), so those connections end while `ctx`, which they count in,
/// still stands; the io_context would destroy them after it.
void end_cut_connections(boost::asio::io_context& ioc, const ServerContext& ctx);

/// The log's optional consumers, each tailing it in a thread of its own.
struct Consumers {
  std::unique_ptr<projections::Projector> projector;
  std::unique_ptr<projections::HistoryStore> history;
  std::unique_ptr<Publisher> publisher;
};

/// PostgreSQL (--database-url): the projector, and the history store,
/// whose queries run on a blocking pool, never on the network threads.
/// Each is set in `app` too. None is started.
[[nodiscard]] Consumers add_consumers(const ServerOptions& o, eventlog::EventLogReader& log, App& app);
/// Redis (--redis-url): the publisher of a log of one sequence of positions,
/// which keeps its place in it (a cluster node has one per partition it
/// executes: PartitionExecutors). Set in `app` too; not started.
void add_publisher(const ServerOptions& o, eventlog::LogPartitionWriter& log, App& app, Consumers& into);

/// --auth off on an address other machines reach.
[[nodiscard]] bool open_to_network(const ServerOptions& o);
/// Who a request is: the admin key and the keys in `keys` (whose revocation
/// closes their connections), or anyone with no admin key.
[[nodiscard]] Authenticator authenticator(const ServerOptions& o, KeyRing& keys, ServerContext& ctx);
[[nodiscard]] const char* scheme(const ServerOptions& o);
[[nodiscard]] core::ExecutorOptions executor_options(const ServerOptions& o);

/// When a role lists the log's API keys, relative to following them.
enum class KeyLoading {
  /// One node and its embedded log: nothing else appends to the log, so
  /// the listing is whole when it returns, and the keys are followed from
  /// there (the feed is the first of the log's listeners all the same).
  list_then_follow,
  /// A cluster node: other nodes append keys while this one lists them, so
  /// it follows first and lists after (a key event folded twice changes
  /// nothing).
  follow_then_list,
};

/// Loads the log's API keys into `keys`, marks them complete and follows
/// the log's key events from then on, in `order`. The subscription must be
/// kept as long as `keys` serves; nothing after saying why on the log.
/// The authenticator is made first: it hears revocations.
[[nodiscard]] std::optional<eventlog::CommitSubscription> open_keys(eventlog::EventLogWriter& log, KeyRing& keys,
                                                                    KeyLoading order);

/// The active recurring orders per key tree, counted from `store`, and
/// the other settings every core role's App takes from the options;
/// nothing after saying why on the log.
[[nodiscard]] std::unique_ptr<RecurringCount> configure_app(const ServerOptions& o, App& app,
                                                            eventlog::EventLogWriter& log, const KeyRing& keys,
                                                            core::OrderStore& store);

/// What a core role says once it listens, beyond its own line.
void say_listening(const ServerOptions& o, const HttpServer& server);

}  // namespace oee::api
