#include "tools/chaos/report.h"

#include <cstdio>
#include <map>

#include <fmt/format.h>

namespace oee::chaos {

namespace {

// "201 answered 200, 580 409, 31 without an answer": answers by status.
std::string by_status(const std::map<int, int>& counts) {
  std::string out;
  for (const auto& [status, n] : counts) {
    if (!out.empty()) out += ", ";
    out += status == 0 ? fmt::format("{} without an answer", n) : fmt::format("{} answered {}", n, status);
  }
  return out.empty() ? "none" : out;
}

int total(const std::map<int, int>& counts) {
  int n = 0;
  for (const auto& [status, count] : counts) n += count;
  return n;
}

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
}

void print_findings(const char* title, const std::vector<Finding>& findings) {
  if (findings.empty()) return;
  say(fmt::format("{} ({}):", title, findings.size()));
  std::size_t shown = 0;
  for (const auto& f : findings) {
    if (++shown > 100) {
      say(fmt::format("  … and {} more", findings.size() - 100));
      break;
    }
    say(fmt::format("  {}: {}", f.id, f.what));
  }
}

}  // namespace

bool passed(const RunFacts& f) {
  return f.problems.empty() && f.verdict && f.verdict->lost.empty() && f.verdict->doubled.empty() &&
         f.verdict->cancels_broken.empty() && f.verdict->answered_unknown.empty() && f.verify && f.verify->exit_code == 0;
}

void print_summary(const RunFacts& f) {
  int market = 0, limit = 0, never = 0;
  std::map<int, int> never_by, cancels, sweep, amends;
  for (const auto& r : f.records) {
    if (r.acknowledged()) {
      ++(r.limit ? limit : market);
    } else {
      ++never;
      ++never_by[r.submit.status];
    }
    for (const auto& a : r.cancels) ++cancels[a.status];
    for (const auto& a : r.sweep_cancels) ++sweep[a.status];
    for (const auto& a : r.amends) ++amends[a.status];
  }
  say("");
  say(fmt::format("oee-chaos summary (seed {})", f.seed));
  say(fmt::format("  time        {:.1f} s of faults under load, {:.1f} s in all", f.run_seconds, f.total_seconds));
  say(fmt::format("  orders      {} acknowledged ({} market, {} limit); {} never acknowledged{}", market + limit, market,
                  limit, never, never == 0 ? "" : " (" + by_status(never_by) + ")"));
  if (f.verdict) {
    std::string outcomes;
    for (const auto& [status, n] : f.verdict->outcomes) outcomes += fmt::format("{}{} {}", outcomes.empty() ? "" : ", ", n, status);
    say(fmt::format("  outcomes    {}; {} split across both venues", outcomes.empty() ? "none" : outcomes,
                    f.verdict->split_orders));
    say(fmt::format("  signatures  {} sent, {} landed", f.verdict->signatures_sent, f.verdict->signatures_landed));
  }
  say(fmt::format("  cancels     {} in the run: {}", total(cancels), by_status(cancels)));
  say(fmt::format("              {} to orders still waiting at the end: {}", total(sweep), by_status(sweep)));
  say(fmt::format("  amends      {}: {}", total(amends), by_status(amends)));
  std::string faults;
  for (int k = 0; k < kFaultKinds; ++k) {
    faults += fmt::format("{}{} {}", k == 0 ? "" : ", ", f.faults.done[static_cast<std::size_t>(k)],
                          fault_kind_name(static_cast<FaultKind>(k)));
  }
  say("  faults      " + faults);
  if (f.settled) {
    say(fmt::format("  settling    {:.1f} s until every acknowledged order ended{}", f.settled->seconds,
                    f.settled->unfinished.empty() ? "" : fmt::format(" ({} never did)", f.settled->unfinished.size())));
  }
  if (f.verify) {
    std::string lines = f.verify->summary;
    if (!lines.empty() && lines.back() == '\n') lines.pop_back();
    say("  verify      oee-logdump --verify exited " + std::to_string(f.verify->exit_code) + (lines.empty() ? "" : "\n" + lines));
  }
  const auto count = [&](auto member) { return f.verdict ? std::to_string(((*f.verdict).*member).size()) : "not checked"; };
  say(fmt::format("  verdict     lost {}, doubled {}, cancels broken {}, answered unknown {}, verify {}{}",
                  count(&Verdict::lost), count(&Verdict::doubled), count(&Verdict::cancels_broken),
                  count(&Verdict::answered_unknown),
                  !f.verify ? "not run" : f.verify->exit_code == 0 ? "ok" : "FAILED",
                  f.problems.empty() ? "" : fmt::format(", problems {}", f.problems.size())));
  say(passed(f) ? "PASS" : "FAIL");
  std::fflush(stdout);
}

void print_failure(const RunFacts& f) {
  say("");
  say(fmt::format("FAILED: replay with oee-chaos --seed {} --duration {:g}", f.seed, f.duration));
  say("the schedule, as planned:");
  for (const auto& fault : f.schedule) say(fmt::format("  t={:.1f}s {}", fault.at, describe(fault)));
  say("as run:");
  for (const auto& line : f.faults.lines) say("  " + line);
  if (!f.problems.empty()) {
    say("problems:");
    for (const auto& p : f.problems) say("  " + p);
  }
  if (f.settled && !f.settled->unfinished.empty()) {
    say(fmt::format("not ended when the settling time ran out ({}):", f.settled->unfinished.size()));
    for (const auto& u : f.settled->unfinished) say("  " + u);
  }
  if (f.verdict) {
    print_findings("lost", f.verdict->lost);
    print_findings("doubled", f.verdict->doubled);
    print_findings("cancels broken", f.verdict->cancels_broken);
    print_findings("answered unknown", f.verdict->answered_unknown);
  }
  std::fflush(stdout);
}

}  // namespace oee::chaos
