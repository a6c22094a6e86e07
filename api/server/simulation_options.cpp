// oee-server's options by role (option_roles.h): the simulated market and chain, and the executor's pace.
#include "api/server/option_roles.h"

#include <algorithm>

namespace oee::api::options {

namespace {

constexpr auto kHeading = "Execution and simulation";

class SimulationOptions final : public OptionRole {
 public:
  void add(CLI::App& cli, ServerOptions& o) override {
    cli.option_defaults()->group(kHeading);
    add_choice(cli, "--sim", o.sim, {core::SimProfile::realistic, core::SimProfile::fast}, core::sim_profile_name,
               "Latency profile: realistic (quotes ~200 ms, execution 2-3 s) or fast (no sleeps)")
        ->envname("OEE_SIM");
    cli.add_option("--concurrency", o.concurrency, "Orders in flight at once; more wait in the queue")
        ->envname("OEE_CONCURRENCY")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
    cli.add_option("--fail-rate", o.fail_rate,
                   "Share of transactions the simulated chain drops [0,1] (default 0.02 realistic, 0 fast)")
        ->envname("OEE_FAIL_RATE")->check(CLI::Range(0.0, 1.0));
    cli.add_flag("--sim-control", o.sim_control,
                 "Let clients on this machine steer the simulated market: POST /api/sim/prices sets a pool's price, "
                 "POST /api/sim/launches launches a new token's pool (tests and demos); with --nats, for every node of the cluster")
        ->envname("OEE_SIM_CONTROL");
    cli.add_option("--sim-seed", o.sim_seed,
                   "Seed every random choice of the simulation (prices' drift, launches, latencies, dropped "
                   "transactions, order ids), so the same requests give the same decisions; recorded in the log at start")
        ->envname("OEE_SIM_SEED");
    cli.add_option("--split-min-gain-bps", o.split_min_gain_bps,
                   "Split a market (or fired limit) order across both venues when that returns more than the best "
                   "single venue by more than this many basis points, after the second transaction's fee (default 10; "
                   "10000 never splits)")
        ->envname("OEE_SPLIT_MIN_GAIN_BPS")->check(CLI::Range(0, 10'000));
    cli.add_option("--sim-tx-validity", tx_validity_seconds_,
                   "Seconds of simulated time a transaction can land after its attempt was decided, as a real "
                   "transaction's blockhash expires (default 60 realistic, times --sim-latency-scale above 1; 5 fast); "
                   "the chain refuses and records a later one as expired, and only then, or once it has an outcome, is "
                   "a new attempt signed")
        ->envname("OEE_SIM_TX_VALIDITY")->check(CLI::Range(0.1, 86'400.0));
    cli.add_option("--default-pair", default_pair_,
                   "IN/OUT, e.g. SOL/USDC: the pair a market order trades when its body names neither token (for "
                   "clients written for a service that traded one pair). Unset: such an order is refused (400 "
                   "missing_field), as is one that names one token without the other")
        ->envname("OEE_DEFAULT_PAIR");
    add_choice(cli, "--sim-clock", o.sim_clock, {SimClockKind::wall, SimClockKind::virtual_clock}, sim_clock_name,
               "wall: the simulation runs on real time; virtual: time stands still until POST /api/sim/clock "
               "{advanceMs} moves it (needs --sim-control), firing what falls due in order (docs/audit.md)")
        ->envname("OEE_SIM_CLOCK");
    cli.add_option("--sim-launch-every", launch_seconds_,
                   "Seconds between new tokens launching pools on the simulated market, on average (0: none); "
                   "with --nats, launched by one node at a time (the holder of lease market)")
        ->envname("OEE_SIM_LAUNCH_EVERY")->check(CLI::Range(0.0, 86'400.0))->capture_default_str();
    cli.add_option("--watch-interval", watch_ms_,
                   "Milliseconds between the watcher's looks at the pools and launches for limit and sniper orders "
                   "(and their expiries)")
        ->envname("OEE_WATCH_INTERVAL")->check(CLI::Range(1, 60'000))->capture_default_str();
    cli.add_option("--sim-latency-scale", o.latency_scale,
                   "Multiplies the realistic profile's latencies (0.1: quotes ~20 ms, execution ~250 ms)")
        ->envname("OEE_SIM_LATENCY_SCALE")->check(CLI::Range(0.0, 100.0))->capture_default_str();
    cli.add_option("--priority-boost", o.priority_boost,
                   "Nice levels the log writer and executor threads run above the rest, so accepted orders "
                   "progress before new ones are taken in; it slows other processes on the machine "
                   "(needs CAP_SYS_NICE; 0: off)")
        ->envname("OEE_PRIORITY_BOOST")->check(CLI::Range(0, 20))->capture_default_str();
  }

  std::optional<std::string> finish(const CLI::App& cli, ServerOptions& o) override {
    if (o.sim_clock == SimClockKind::virtual_clock && !o.sim_control)
      return std::string("--sim-clock virtual needs --sim-control: only POST /api/sim/clock moves its time");
    if ((o.sim_seed || o.sim_clock == SimClockKind::virtual_clock) && (!o.nats_urls.empty() || o.role == Role::gateway))
      return std::string("--sim-seed and --sim-clock virtual are for one core node with its embedded log (a cluster's "
                         "market and timers are shared by its nodes)");
    if (cli.count("--default-pair") > 0) {
      auto pair = parse_token_pair(default_pair_);
      if (!pair) return "--default-pair: " + pair.error();
      o.default_pair = *pair;
    }
    if (o.fail_rate < 0) o.fail_rate = o.sim == core::SimProfile::fast ? 0.0 : 0.02;
    if (tx_validity_seconds_ < 0) {
      // A slowed simulation keeps the realistic ratio of validity to latency.
      tx_validity_seconds_ = o.sim == core::SimProfile::fast ? 5 : 60 * std::max(1.0, o.latency_scale);
    }
    o.tx_validity = std::chrono::milliseconds(static_cast<std::int64_t>(tx_validity_seconds_ * 1000));
    o.watch_interval = std::chrono::milliseconds(watch_ms_);
    o.launch_every = std::chrono::milliseconds(static_cast<std::int64_t>(launch_seconds_ * 1000));
    return std::nullopt;
  }

 private:
  int watch_ms_ = 100;
  double launch_seconds_ = 30;
  double tx_validity_seconds_ = -1;
  std::string default_pair_;
};

}  // namespace

std::unique_ptr<OptionRole> simulation_options() { return std::make_unique<SimulationOptions>(); }

}  // namespace oee::api::options
