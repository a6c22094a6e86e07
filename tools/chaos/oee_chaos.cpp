// oee-chaos: a cluster under faults, judged by its log and its chain. It
// starts three NATS servers and two oee-server nodes, sends orders,
// cancels and amendments through both nodes while a seeded schedule kills
// and pauses nodes and kills NATS servers, then brings everything back,
// lets every order end and checks that nothing acknowledged was lost,
// nothing executed twice, no cancel answered 200 executed, and that
// `oee-logdump --verify` passes. Exit 0 only then; 1 otherwise (the seed
// replays the run's choices); 2 for bad arguments.

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/chaos/chain_ledger.h"
#include "tools/chaos/checks.h"
#include "tools/chaos/cluster.h"
#include "tools/chaos/faults.h"
#include "tools/chaos/http_client.h"
#include "tools/chaos/report.h"
#include "tools/chaos/schedule.h"
#include "tools/chaos/settle.h"
#include "tools/chaos/signals.h"
#include "tools/chaos/workload.h"

namespace fs = std::filesystem;
using namespace oee::chaos;
using namespace std::chrono_literals;

namespace {

struct Options {
  double duration = 180;
  std::optional<std::uint64_t> seed;
  fs::path server;
  fs::path logdump;
  fs::path nats_script = fs::path(OEE_SOURCE_DIR) / "tools" / "nats_cluster.sh";
  fs::path work_dir;
  bool keep = false;
  int clients = 8;
  double settle = 120;
};

constexpr const char* kFooter = R"(What it does:
  1. Starts 3 NATS servers (a JetStream cluster, tools/nats_cluster.sh) and 2 oee-server nodes on them, a and b:
     --sim realistic --sim-latency-scale 0.3 --fail-rate 0.02 --partitions 4 --lease-ttl 2 --sim-control
     --sim-launch-every 0; every process's output goes to a file in the work directory.
  2. For --duration seconds, --clients threads submit to a random node market orders (slippage 0.05, some large
     enough to split) and limit orders a little above the SOL/USDC quote (some fire, some wait); they cancel some
     through the other node 0-400 ms later and amend some waiting ones. A submit without an answer (503, a node
     down or paused) is sent again with the same Idempotency-Key; one never answered 202 (or 200 for the replay)
     is not counted as acknowledged.
  3. Meanwhile a seeded schedule, every 4-9 s: kill -9 of a node, started again after 1-3 s; SIGSTOP of a node for
     1.5-2.5 leases, then SIGCONT; kill -9 of a NATS server, resumed after 2-5 s. At most one node and one NATS
     server are away at once. Each fault is printed as it runs (t=12.3s kill -9 node a ...).
  4. Then every fault is undone, the orders still waiting are cancelled, and every acknowledged order is given
     --settle seconds to end (confirmed, failed, cancelled, expired or partially_filled).
  5. Checks, against the log (over HTTP) and the chain's blocks (stream OEE_CHAIN):
       lost              an acknowledged order unknown, or not terminal (or not served at all) on a node;
       doubled           more than one terminal event, landed signatures other than those its log confirms
                         (each leg of a split order counts), or different ends on the two nodes;
       cancels broken    a cancel answered 200 whose order is not cancelled, or has a landed signature;
       answered unknown  a cancel or amend of an acknowledged order answered 404 (by either node, at any time);
       verify            oee-logdump --verify exits 0 (the tools' URLs in its OEE_NATS_URL).
     A node that exits by itself, or a check that cannot be made, fails the run too.

Exit status: 0 when nothing is lost, doubled, broken or answered unknown and verify passes; 1 otherwise (the
seed, the schedule and the orders that broke are printed; the work directory is kept for its logs); 2 for bad
arguments; 130 when interrupted (SIGINT or SIGTERM: every process is stopped first; a second one kills them at
once).

Replay a run with --seed N: the same faults in the same order and the same client choices (timing differs).
A longer run: oee-chaos --duration 1800.)";

fs::path beside_me(const std::string& name) {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(name) : self.parent_path() / name;
}

// Refuses what cannot work before anything starts: exit 2.
std::optional<std::string> check_options(Options& o) {
  if (o.server.empty()) o.server = beside_me("oee-server");
  if (o.logdump.empty()) o.logdump = beside_me("oee-logdump");
  for (const auto& [flag, path] : {std::pair{"--server", o.server}, std::pair{"--logdump", o.logdump}}) {
    if (::access(path.c_str(), X_OK) != 0) return fmt::format("{} {}: not an executable file", flag, path.string());
  }
  if (::access(o.nats_script.c_str(), R_OK) != 0) {
    return fmt::format("--nats-script {}: cannot be read (tools/nats_cluster.sh of the source tree)", o.nats_script.string());
  }
  if (!o.work_dir.empty()) {
    std::error_code ec;
    if (fs::exists(o.work_dir, ec) && !fs::is_empty(o.work_dir, ec)) {
      return fmt::format("--work-dir {}: must be empty or not exist yet", o.work_dir.string());
    }
  }
  return std::nullopt;
}

fs::path make_work_dir(const fs::path& wanted) {
  if (!wanted.empty()) {
    fs::create_directories(wanted);
    return fs::absolute(wanted);
  }
  std::string pattern = (fs::temp_directory_path() / "oee-chaos-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temp directory: " + pattern);
  return pattern;
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// The price limit orders are placed near; a node may take a moment to
// answer quotes after it starts.
double first_price(const Cluster& cluster) {
  HttpClient http(5s);
  for (int attempt = 0; attempt < 40; ++attempt) {
    if (const double p = quoted_price(http, cluster.node(attempt % 2).port()); p > 0) return p;
    std::this_thread::sleep_for(250ms);
  }
  throw std::runtime_error("neither node quotes SOL/USDC");
}

int run(const Options& o) {
  // `interrupted`: a signal came; `stop`: whatever runs must end now (a
  // signal, or an error that ends the run early).
  std::atomic<bool> interrupted{false};
  std::atomic<bool> stop{false};
  const fs::path work = make_work_dir(o.work_dir);
  std::atomic<bool> keep{o.keep};  // read by the signal thread too
  // The last resort, on a second signal: no process of the run may outlive
  // it. The NATS servers are not our children (the script starts them), so
  // their pid files name them.
  SignalWatch signals([&] {
    interrupted.store(true);
    stop.store(true);
  }, [&work, &keep] {
    kill_all_children();
    for (const pid_t pid : NatsServers::pids_in(work / "nats")) ::kill(pid, SIGKILL);
    std::error_code ec;
    if (!keep.load()) fs::remove_all(work, ec);
    std::_Exit(130);
  });

  const std::uint64_t seed = o.seed ? *o.seed : std::random_device{}() * 65536ULL + std::random_device{}() % 65536;
  say(fmt::format("seed {}", seed));
  say(fmt::format("oee-chaos: {:.0f} s, {} clients, work directory {}", o.duration, o.clients, work.string()));

  RunFacts facts;
  facts.seed = seed;
  facts.duration = o.duration;
  facts.schedule = make_schedule(seed, o.duration);
  const auto began = Clock::now();
  int status = 1;
  {
    Cluster cluster(ClusterOptions{o.server, o.nats_script, work});
    bool ran = false;  // the cluster came up and the run began
    try {
      cluster.start();
      say(fmt::format("cluster up: NATS n1-n3, node a on port {}, node b on port {}", cluster.node(0).port(),
                      cluster.node(1).port()));
      if (!cluster.settled(60s)) throw std::runtime_error("the nodes did not come to execute 2 partitions each within 60 s");
      const double price = first_price(cluster);

      ran = true;
      const auto start = Clock::now();
      const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
      Workload workload(cluster, WorkloadOptions{seed, o.clients, start, until}, stop);
      // An error past this point must not wait for the clients' end.
      struct StopOnError {
        std::atomic<bool>& stop;
        ~StopOnError() {
          if (std::uncaught_exceptions() > 0) stop.store(true);
        }
      } stop_on_error{stop};
      FaultRunner faults(cluster, start, say);
      workload.start(price);
      auto next_progress = start + 30s;
      faults.run(facts.schedule, until, stop, [&] {
        if (Clock::now() < next_progress) return;
        next_progress += 30s;
        const auto& c = workload.counters();
        say(fmt::format("{} {} orders acknowledged, {} cancels, {} amends so far", faults.stamp(), c.acknowledged.load(),
                        c.cancels.load(), c.amends.load()));
      });
      say(faults.stamp() + " faults over; waiting for the clients' last requests");
      workload.join();
      facts.run_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      facts.faults = faults.report();
      facts.records = workload.records();
      for (const auto& e : workload.errors()) facts.problems.push_back(e);
      for (const auto& p : facts.faults.problems) facts.problems.push_back(p);

      if (!stop.load()) {
        std::string error;
        if (!cluster.bring_back(error)) facts.problems.push_back(error);
        say(fmt::format("everything is up again; letting {} acknowledged orders end (cancelling the waiting ones)",
                        workload.counters().acknowledged.load()));
        facts.settled = settle(cluster, facts.records, start, std::chrono::seconds(static_cast<long>(o.settle)), stop);
      }
      if (!stop.load()) {
        say("checking the log and the chain");
        ChainLedger chain(cluster.nats().tools_urls());
        facts.verdict = check_orders(cluster, facts.records, chain, stop);
        facts.verify = verify_log(o.logdump, cluster.nats().tools_urls(), work / "verify.txt", stop);
      }
      for (const auto& e : cluster.exits()) {
        if (std::find(facts.problems.begin(), facts.problems.end(), e) == facts.problems.end()) facts.problems.push_back(e);
      }
    } catch (const std::exception& e) {
      facts.problems.push_back(e.what());
    }
    facts.total_seconds = std::chrono::duration<double>(Clock::now() - began).count();
    if (interrupted.load()) {
      say("interrupted: stopping every process");
      status = 130;
    } else if (!ran) {
      // Nothing was tested: the reason is all there is to say.
      for (const auto& p : facts.problems) std::fprintf(stderr, "oee-chaos: the run did not begin: %s\n", p.c_str());
      keep.store(true);
    } else {
      print_summary(facts);
      status = passed(facts) ? 0 : 1;
      if (status != 0) {
        print_failure(facts);
        keep.store(true);  // the nodes' logs and the NATS data are the evidence
      }
    }
    cluster.stop(keep.load());
  }
  if (keep.load()) {
    say("work directory kept: " + work.string() + " (a.log, b.log, nats/, verify.txt)");
  } else {
    std::error_code ec;
    fs::remove_all(work, ec);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App cli{"oee-chaos: runs a 2-node oee cluster on 3 NATS servers under a seeded schedule of faults (kill -9 and "
                 "SIGSTOP of nodes, kill -9 of NATS servers) while clients submit, cancel and amend through both "
                 "nodes, then checks that nothing acknowledged was lost, nothing executed twice and no cancel "
                 "answered 200 executed, against the log and the simulated chain's ledger."};
    cli.footer(kFooter);
    Options o;
    cli.add_option("--duration", o.duration, "Seconds of faults under load")->check(CLI::Range(1.0, 86'400.0))->capture_default_str();
    cli.add_option("--seed", o.seed, "Seed of the faults' schedule and of the clients' choices (default: random, printed)");
    cli.add_option("--clients", o.clients, "Client threads sending orders")->check(CLI::Range(1, 256))->capture_default_str();
    cli.add_option("--server", o.server, "The oee-server binary (default: the one beside oee-chaos)");
    cli.add_option("--logdump", o.logdump, "The oee-logdump binary (default: the one beside oee-chaos)");
    cli.add_option("--nats-script", o.nats_script, "tools/nats_cluster.sh, which starts and kills the NATS servers")
        ->capture_default_str();
    cli.add_option("--work-dir", o.work_dir,
                   "Where the processes' files go, empty or new (default: a temp directory); removed at the end unless "
                   "--keep or the run failed");
    cli.add_flag("--keep", o.keep, "Keep the work directory (logs, NATS data) after a run that passed too");
    cli.add_option("--settle", o.settle, "Seconds every acknowledged order is given to end after the faults")
        ->check(CLI::Range(10.0, 3'600.0))->capture_default_str();
    try {
      cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return cli.exit(e);
    } catch (const CLI::ParseError& e) {
      cli.exit(e);
      return 2;
    }
    if (const auto bad = check_options(o)) {
      std::fprintf(stderr, "oee-chaos: %s\n", bad->c_str());
      return 2;
    }
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-chaos: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "oee-chaos: unknown error\n");
    return 1;
  }
}
