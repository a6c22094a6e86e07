#include "tools/chaos/faults.h"

#include <thread>

#include <fmt/format.h>

namespace oee::chaos {

using namespace std::chrono_literals;

FaultRunner::FaultRunner(Cluster& cluster, Clock::time_point start, std::function<void(const std::string&)> say)
    : cluster_(cluster), start_(start), say_(std::move(say)) {}

std::string FaultRunner::stamp() const {
  return fmt::format("t={:.1f}s", std::chrono::duration<double>(Clock::now() - start_).count());
}

void FaultRunner::note(const std::string& line) {
  const std::string stamped = stamp() + " " + line;
  report_.lines.push_back(stamped);
  say_(stamped);
}

void FaultRunner::watch_exits() {
  for (const auto& exit : cluster_.reap_exits()) {
    note(exit + "; starting it again");
    report_.problems.push_back(exit);
    std::string error;
    for (int i = 0; i < kNodes; ++i) {
      auto& node = cluster_.node(i);
      if (node.running() || (node_fault_ && node_fault_->fault.kind == FaultKind::kill_node && node_fault_->fault.target == i))
        continue;
      if (!node.start(Cluster::kStartTimeout, error)) report_.problems.push_back(error);
    }
  }
}

void FaultRunner::begin(const Fault& f) {
  const auto d = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.hold));
  switch (f.kind) {
    case FaultKind::kill_node: {
      auto& node = cluster_.node(f.target);
      note(fmt::format("kill -9 {} (pid {}); restart in {:.1f} s", target_name(f), node.pid(), f.hold));
      node.kill9();
      break;
    }
    case FaultKind::pause_node: {
      auto& node = cluster_.node(f.target);
      note(fmt::format("SIGSTOP {} (pid {}) for {:.1f} s", target_name(f), node.pid(), f.hold));
      node.pause();
      break;
    }
    case FaultKind::kill_nats:
      note(fmt::format("kill -9 {}; resume in {:.1f} s", target_name(f), f.hold));
      if (!cluster_.nats().kill(f.target)) report_.problems.push_back("could not kill " + target_name(f));
      break;
  }
  ++report_.done[static_cast<std::size_t>(f.kind)];
  (takes_a_node(f.kind) ? node_fault_ : nats_fault_) = Active{f, Clock::now() + d};
}

void FaultRunner::undo(const Fault& f) {
  switch (f.kind) {
    case FaultKind::kill_node: {
      auto& node = cluster_.node(f.target);
      const auto began = Clock::now();
      std::string error;
      if (Cluster::restart(node, error)) {
        note(fmt::format("restarted {}: listening on port {} after {:.1f} s", target_name(f), node.port(),
                         std::chrono::duration<double>(Clock::now() - began).count()));
      } else {
        note(fmt::format("{} does not start again", target_name(f)));
        report_.problems.push_back(error);
      }
      break;
    }
    case FaultKind::pause_node:
      cluster_.node(f.target).cont();
      note(fmt::format("SIGCONT {}", target_name(f)));
      break;
    case FaultKind::kill_nats: {
      bool up = false;
      for (int attempt = 0; attempt < 3 && !up; ++attempt) up = cluster_.nats().resume(f.target);
      note(up ? "resumed " + target_name(f) : target_name(f) + " does not start again");
      if (!up) report_.problems.push_back("could not resume " + target_name(f));
      break;
    }
  }
}

void FaultRunner::undo_due(bool all) {
  // The node first: a node started again while a NATS server is still away
  // is part of the test, not a reason to wait.
  for (auto* slot : {&node_fault_, &nats_fault_}) {
    if (*slot && (all || Clock::now() >= (*slot)->undo_at)) {
      const Fault f = (*slot)->fault;
      slot->reset();
      undo(f);
    }
  }
}

void FaultRunner::run(const std::vector<Fault>& schedule, Clock::time_point until, const std::atomic<bool>& interrupted,
                      const std::function<void()>& tick) {
  const auto stopping = [&] { return interrupted.load() || Clock::now() >= until; };
  // Waits until `when` (or the end), undoing faults as they fall due.
  const auto wait_until = [&](Clock::time_point when) {
    while (!stopping() && Clock::now() < when) {
      undo_due(false);
      watch_exits();
      tick();
      std::this_thread::sleep_for(100ms);
    }
  };
  for (const auto& f : schedule) {
    wait_until(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.at)));
    // One node and one NATS server away at most: this fault waits for the
    // one of its kind still in effect to be undone.
    auto& slot = takes_a_node(f.kind) ? node_fault_ : nats_fault_;
    if (slot) wait_until(slot->undo_at);
    if (stopping()) break;
    undo_due(false);
    begin(f);
  }
  wait_until(until);
  undo_due(true);
  watch_exits();
}

}  // namespace oee::chaos
