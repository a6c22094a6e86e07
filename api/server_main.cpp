// oee-server: the core process. Owns the event log (its only writer),
// serves the REST API and WebSocket streams, and runs the executor.

#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "api/app.h"
#include "api/http_server.h"
#include "api/hub.h"
#include "core/executor.h"
#include "core/landed_journal.h"
#include "core/log_audit.h"
#include "projections/history.h"
#include "projections/projector.h"

namespace asio = boost::asio;
using namespace oee;

int main(int argc, char** argv) {
  CLI::App cli{"oee-server: durable, event-sourced order execution engine (REST + WebSocket)"};
  std::string data_dir = "./data";
  std::string bind = "127.0.0.1";
  std::uint16_t port = 3000;
  std::string role = "core";
  std::string core_url = "http://127.0.0.1:3000";
  std::string redis_url, database_url;
  std::string sim = "realistic";
  std::size_t concurrency = 10'000;
  std::string durability = "sync";
  double fail_rate = -1;
  unsigned threads = 2;
  std::string log_level = "info";
  std::size_t max_connections = 10'000;
  std::size_t ws_queue_limit = 1'024;
  double latency_scale = 1.0;

  cli.add_option("--data-dir", data_dir, "Data directory: the event log (log/) and the simulated chain (simchain/)")->envname("OEE_DATA_DIR")->capture_default_str();
  cli.add_option("--bind", bind, "Address to listen on")->envname("OEE_BIND")->capture_default_str();
  cli.add_option("--port", port, "TCP port to listen on (0 picks a free one)")->envname("OEE_PORT")->capture_default_str();
  cli.add_option("--role", role, "core (owns the log) or gateway (WebSocket edge fed by Redis)")
      ->envname("OEE_ROLE")->check(CLI::IsMember({"core", "gateway"}))->capture_default_str();
  cli.add_option("--core-url", core_url, "Gateway role: URL of the core for catch-up")->envname("OEE_CORE_URL")->capture_default_str();
  cli.add_option("--redis-url", redis_url, "Redis for the live stream (unset: in-process fan-out)")->envname("REDIS_URL");
  cli.add_option("--database-url", database_url,
                 "PostgreSQL for order history, e.g. postgresql://user@127.0.0.1:5432/oee (unset: no projection)")
      ->envname("DATABASE_URL");
  cli.add_option("--sim", sim, "Latency profile: realistic (quotes ~200 ms, execution 2-3 s) or fast (no sleeps)")
      ->envname("OEE_SIM")->check(CLI::IsMember({"realistic", "fast"}))->capture_default_str();
  cli.add_option("--concurrency", concurrency, "Orders in flight at once; more wait in the queue")
      ->envname("OEE_CONCURRENCY")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
  cli.add_option("--durability", durability, "sync: fsync before acknowledging; async: WAL without fsync")
      ->envname("OEE_DURABILITY")->check(CLI::IsMember({"sync", "async"}))->capture_default_str();
  cli.add_option("--fail-rate", fail_rate, "Share of transactions the simulated chain drops [0,1] (default 0.02 realistic, 0 fast)")
      ->envname("OEE_FAIL_RATE")->check(CLI::Range(0.0, 1.0));
  cli.add_option("--sim-latency-scale", latency_scale,
                 "Multiplies the realistic profile's latencies (0.1: quotes ~20 ms, execution ~250 ms)")
      ->envname("OEE_SIM_LATENCY_SCALE")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  cli.add_option("--threads", threads, "HTTP/WebSocket threads")->envname("OEE_THREADS")->check(CLI::Range(1u, 64u))->capture_default_str();
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")->envname("OEE_LOG_LEVEL")->capture_default_str();
  cli.add_option("--max-connections", max_connections, "Open HTTP/WebSocket connections; more are refused")
      ->envname("OEE_MAX_CONNECTIONS")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
  cli.add_option("--ws-queue-limit", ws_queue_limit,
                 "Messages queued for one WebSocket before the reader counts as slow and is dropped")
      ->envname("OEE_WS_QUEUE_LIMIT")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  if (role == "gateway") {
    std::fprintf(stderr, "oee-server: --role gateway needs the Redis live stream, which this build does not include yet\n");
    return 2;
  }
  if (!redis_url.empty()) spdlog::warn("REDIS_URL is set but this build fans out in-process only; ignoring it");
  if (fail_rate < 0) fail_rate = sim == "fast" ? 0.0 : 0.02;

  // Signals are handled by the main thread only.
  asio::io_context signal_ioc;
  asio::signal_set signals(signal_ioc, SIGINT, SIGTERM);

  // Refuse to start on anything we cannot read, with what to do about it.
  std::unique_ptr<eventlog::EventLog> log;
  std::unique_ptr<core::LandedJournal> journal;
  std::size_t resumable = 0;
  try {
    const std::filesystem::path root(data_dir);
    std::filesystem::create_directories(root);
    log = eventlog::open_rocksdb_log(eventlog::Options{
        eventlog::log_directory(data_dir), durability == "sync" ? eventlog::Durability::sync : eventlog::Durability::async,
        eventlog::OpenMode::primary, 4096, {}});
    resumable = core::check_resumable(*log);
    journal = std::make_unique<core::LandedJournal>(root / "simchain" / "landed.txt");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }

  asio::io_context api_ioc;
  asio::io_context exec_ioc(1);
  auto api_work = asio::make_work_guard(api_ioc);
  auto exec_work = asio::make_work_guard(exec_ioc);

  core::Market market;
  core::SimChain chain(market, fail_rate, 7, journal.get());
  core::OrderStore store(*log);
  core::EngineMetrics metrics;
  api::Hub hub(api_ioc.get_executor());
  core::ExecutorOptions exec_options;
  exec_options.profile = sim == "fast" ? core::SimProfile::fast : core::SimProfile::realistic;
  exec_options.concurrency = concurrency;
  exec_options.retry_base = sim == "fast" ? std::chrono::milliseconds(5) : std::chrono::milliseconds(500);
  exec_options.latency_scale = latency_scale;
  core::Executor executor(exec_ioc, store, market, chain, exec_options, metrics);

  api::AppConfig config;
  config.bind = bind;
  config.port = port;
  config.durability = durability;
  config.sim = sim;
  config.max_connections = max_connections;
  config.ws_queue_limit = ws_queue_limit;
  api::App app{config, *log, store, market, metrics, hub};
  api::HttpServer server(api_ioc, app);

  // PostgreSQL: the projector tails the log in its own thread; history
  // queries run on a small blocking pool, never on the network threads.
  std::unique_ptr<projections::Projector> projector;
  std::unique_ptr<projections::HistoryStore> history;
  asio::thread_pool blocking(2);
  if (!database_url.empty()) {
    projector = std::make_unique<projections::Projector>(*log, projections::ProjectorOptions{database_url});
    history = std::make_unique<projections::HistoryStore>(database_url);
    app.projector = projector.get();
    app.history = history.get();
    app.blocking = &blocking;
  }

  hub.attach(*log);
  try {
    executor.start();
    if (projector) projector->start();
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }

  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&] { api_ioc.run(); });
  std::thread exec_thread([&] { exec_ioc.run(); });

  spdlog::info(
      "oee-server listening on http://{}:{} (data {}, sim {}, durability {}, fail-rate {}, head seq {}, resuming {} "
      "orders)",
      bind, server.port(), data_dir, sim, durability, fail_rate, log->head().value, resumable);
  // A machine-readable line for scripts and tests that start us on port 0.
  std::printf("LISTENING %s:%u\n", bind.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  int signal_number = 0;
  signals.async_wait([&](const boost::system::error_code&, int sig) { signal_number = sig; });
  signal_ioc.run();

  spdlog::info("signal {}: stopping (finishing in-flight steps)", signal_number);
  server.stop();
  const bool drained = executor.stop(std::chrono::seconds(10));
  if (!drained) spdlog::warn("some orders were still mid-step; they resume from the log on the next start");
  if (projector) projector->stop();
  log->close();
  api_work.reset();
  exec_work.reset();
  api_ioc.stop();
  exec_ioc.stop();
  for (auto& t : pool) t.join();
  exec_thread.join();
  blocking.join();
  spdlog::info("stopped cleanly at seq {}", log->head().value);
  return 0;
}
