// oee-projector: keeps the PostgreSQL read model of the event log, in its
// own process. Reads the log as a RocksDB secondary (beside the server), or
// a cluster's log from NATS JetStream (--nats).

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/wire/event_codec.h"
#include "eventlog/event_log.h"
#include "projections/projector.h"
#include "projections/rebuild.h"
#include "tools/log_source/log_source.h"

namespace fs = std::filesystem;
using namespace oee;

namespace {

std::atomic<bool> g_stop{false};

std::string bar(double fraction, int width = 30) {
  const int full = static_cast<int>(fraction * width);
  return std::string(static_cast<std::size_t>(full), '#') + std::string(static_cast<std::size_t>(width - full), '.');
}

int run(const tools::LogSource& from, const std::string& url) {
  const auto source = tools::open_log(from, "oee-projector");
  projections::ProjectorOptions options{url};
  options.secondary = !from.clustered();  // a cluster's partitions follow their streams by themselves
  projections::Projector projector(*source.log, options);
  projector.start();
  spdlog::info("oee-projector: projecting {} into PostgreSQL", from.describe());
  auto last_report = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(10)) {
      const auto st = projector.status();
      spdlog::info("applied seq {}, lag {} events ({:.3f} s){}", st.applied_seq, st.lag_events, st.lag_seconds,
                   st.connected ? "" : ", PostgreSQL unreachable: " + st.last_error);
      last_report = std::chrono::steady_clock::now();
    }
  }
  projector.stop();
  spdlog::info("oee-projector: stopped at seq {}", projector.status().applied_seq);
  return 0;
}

int rebuild(const tools::LogSource& from, const std::string& url) {
  const auto source = tools::open_log(from, "oee-projector");
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  auto last_line = std::chrono::steady_clock::now();
  auto result = projections::rebuild(*source.log, url, [&](const projections::RebuildProgress& p) {
    const double fraction = p.total == 0 ? 1.0 : static_cast<double>(p.done) / static_cast<double>(p.total);
    const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0;
    const std::string line = fmt::format("{:>10}/{} events  {:>9.0f} events/s  ETA {:.0f} s", p.done, p.total, rate, eta);
    if (tty) {
      std::fprintf(stderr, "\r[%s] %3.0f%% %s", bar(fraction).c_str(), fraction * 100, line.c_str());
    } else if (std::chrono::steady_clock::now() - last_line > std::chrono::seconds(2)) {
      std::fprintf(stderr, "rebuild: %s\n", line.c_str());
      last_line = std::chrono::steady_clock::now();
    }
  });
  if (tty) std::fprintf(stderr, "\n");
  std::printf(
      "rebuilt %lu events and %lu orders in %.2f s (%.0f events/s; replay %.2f s, orders %.2f s, indexes %.2f s); "
      "swapped in atomically\n",
      static_cast<unsigned long>(result.events), static_cast<unsigned long>(result.orders), result.seconds,
      result.seconds > 0 ? static_cast<double>(result.events) / result.seconds : 0.0, result.replay_seconds,
      result.orders_seconds, result.index_seconds);
  return 0;
}

int status(const tools::LogSource& from, const std::string& url) {
  const auto source = tools::open_log(from, "oee-projector");
  const auto applied = projections::applied_seq(url);
  const auto head = source.log->head().value;
  std::printf("applied seq %lu, log head %lu, lag %lu events\n", static_cast<unsigned long>(applied),
              static_cast<unsigned long>(head), static_cast<unsigned long>(head > applied ? head - applied : 0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oee-projector: the PostgreSQL read model of an oee event log"};
  tools::LogSource from;
  std::string url;
  cli.add_option("--data-dir", from.data_dir, "oee-server's data directory")
      ->envname("OEE_DATA_DIR")
      ->capture_default_str();
  cli.add_option("--nats", from.nats,
                 "Project a cluster's log instead (docs/SCALING.md): its NATS JetStream servers, "
                 "nats://user:password@host:port[,...]; seqs are then per partition, summed in what is printed. "
                 "Opened read-only: use the tools' NATS user, and give the URLs in OEE_NATS_URL rather than on the "
                 "command line")
      ->envname("OEE_NATS_URL");
  cli.add_option("--nats-creds", from.nats_creds, "With --nats: a NATS credentials file instead of the URL's user")
      ->envname("OEE_NATS_CREDS");
  cli.add_option("--nats-ca", from.nats_ca, 
                 "With tls:// --nats URLs: the CA certificates (PEM) to check the servers against")
      ->envname("OEE_NATS_CA");
  cli.add_option("--database-url", url, "PostgreSQL, e.g. postgresql://user@127.0.0.1:5432/oee")
      ->envname("DATABASE_URL")
      ->required();
  cli.require_subcommand(1);
  // Options before or after the subcommand: `oee-projector rebuild --data-dir D`.
  cli.fallthrough();
  auto* run_cmd = cli.add_subcommand("run", "Tail the log into PostgreSQL until SIGINT/SIGTERM (exactly once)");
  auto* rebuild_cmd =
      cli.add_subcommand("rebuild", "Replay the log from seq 0 into fresh tables and swap them in atomically");
  auto* status_cmd = cli.add_subcommand("status", "Print the last applied seq against the log head");
  CLI11_PARSE(cli, argc, argv);

  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  try {
    if (run_cmd->parsed()) return run(from, url);
    if (rebuild_cmd->parsed()) return rebuild(from, url);
    if (status_cmd->parsed()) return status(from, url);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-projector: %s\n", e.what());
    return 2;
  }
  return 2;
}
