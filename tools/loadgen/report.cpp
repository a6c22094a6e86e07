#include "tools/loadgen/report.h"

#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

namespace oee::loadgen {

namespace json = boost::json;

namespace {

json::object summary(const LatencyHistogram& h) {
  auto ms = [](std::chrono::nanoseconds d) { return std::round(static_cast<double>(d.count()) / 1e3) / 1e3; };
  return json::object{{"count", h.count()},         {"p50", ms(h.quantile(0.5))},   {"p90", ms(h.quantile(0.9))},
                      {"p99", ms(h.quantile(0.99))}, {"p999", ms(h.quantile(0.999))}, {"max", ms(h.max())}};
}

void print_row(const char* name, const LatencyHistogram& h) {
  auto ms = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; };
  if (h.count() == 0) {
    std::printf("%-24s %10s\n", name, "-");
    return;
  }
  std::printf("%-24s %10llu %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, static_cast<unsigned long long>(h.count()),
              ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
}

}  // namespace

int report(const Run& run) {
  // From the first order due to the last answer: an overloaded server that
  // answers the backlog late is not credited with the offered rate.
  const double seconds =
      run.last_answer > run.start ? std::chrono::duration<double>(run.last_answer - run.start).count() : 0;
  const double throughput = seconds > 0 ? static_cast<double>(run.accepted) / seconds : 0;
  const std::uint64_t unfinished = !run.opt.follows() ? 0 : run.accepted - std::min(run.accepted, run.terminal_count());
  // Orders that reached a terminal status per second, first submit to last terminal.
  const double terminal_seconds = std::chrono::duration<double>(run.last_terminal - run.start).count();
  const double terminal_rate = run.terminal_count() > 0 && terminal_seconds > 0
                                   ? static_cast<double>(run.terminal_count()) / terminal_seconds
                                   : 0;
  if (run.opt.json_output) {
    json::object out{{"mode", run.opt.rate > 0 ? "open" : "closed"},
                     {"rate", run.opt.rate},
                     {"connections", run.opt.connections},
                     {"submitOver", run.opt.submit_over_ws ? "ws" : "http"},
                     {"subscribers", run.opt.subscribers},
                     {"seconds", seconds},
                     {"accepted", run.accepted},
                     {"acceptedPerSecond", std::round(throughput)},
                     {"rejected", run.rejected},
                     {"requestErrors", run.failed_requests},
                     {"confirmed", run.confirmed},
                     {"failed", run.failed_orders},
                     {"unfinished", unfinished},
                     {"terminalPerSecond", std::round(terminal_rate)},
                     {"wsErrors", run.ws_errors},
                     {"submitMs", summary(run.submit)},
                     {"submitToTerminalMs", summary(run.to_terminal)},
                     {"appendToReceiveMs", summary(run.append_to_receive)}};
    std::printf("%s\n", json::serialize(out).c_str());
  } else {
    std::printf("%s loop, %u connections, %u subscribers: %llu accepted in %.2f s = %.0f orders/s; %llu rejected, "
                "%llu request errors\n",
                run.opt.rate > 0 ? "open" : "closed", run.opt.connections, run.opt.subscribers,
                static_cast<unsigned long long>(run.accepted), seconds, throughput,
                static_cast<unsigned long long>(run.rejected), static_cast<unsigned long long>(run.failed_requests));
    if (run.opt.follows()) {
      std::printf("terminal: %llu confirmed, %llu failed, %llu unfinished (%.0f terminal/s); %llu stream errors\n",
                  static_cast<unsigned long long>(run.confirmed), static_cast<unsigned long long>(run.failed_orders),
                  static_cast<unsigned long long>(unfinished), terminal_rate,
                  static_cast<unsigned long long>(run.ws_errors));
    }
    std::printf("%-24s %10s %9s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max");
    print_row("submit", run.submit);
    print_row("submit -> terminal", run.to_terminal);
    print_row("append -> ws receive", run.append_to_receive);
  }
  return run.failed_requests > 0 || unfinished > 0 ? 1 : 0;
}

}  // namespace oee::loadgen
