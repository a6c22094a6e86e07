#include "tools/chaos/checks.h"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "tools/chaos/http_client.h"
#include "tools/chaos/processes.h"
#include "tools/chaos/settle.h"

namespace oee::chaos {

namespace json = boost::json;

namespace {

// An order's history as its events tell it.
struct History {
  bool known = false;
  std::string status;  // after its last event
  int terminal_events = 0;
  std::set<std::string> sent;       // every signature a txSubmitted names, each leg's
  std::set<std::string> confirmed;  // the ones an outcome says landed
  std::vector<std::string> names;
  bool split = false;
};

std::string string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

History parse_history(const json::value& body) {
  History h;
  h.known = true;
  const auto* events = body.is_object() ? body.as_object().if_contains("events") : nullptr;
  if (events == nullptr || !events->is_array()) throw std::runtime_error("an events answer without events: " + json::serialize(body));
  for (const auto& item : events->as_array()) {
    if (!item.is_object()) continue;
    const auto& e = item.as_object();
    const std::string name = string_at(e, "event");
    h.names.push_back(name);
    h.status = string_at(e, "status");
    // An operator's retry starts a failed order over (the run sends none).
    if (name == "orderRetried") h.terminal_events = 0;
    if (const auto* t = e.if_contains("terminal"); t != nullptr && t->is_bool() && t->as_bool()) ++h.terminal_events;
    if (name == "txSubmitted") {
      h.sent.insert(string_at(e, "txHash"));
      if (const auto* legs = e.if_contains("legTxHashes"); legs != nullptr && legs->is_array()) {
        for (const auto& tx : legs->as_array()) {
          if (tx.is_string()) h.sent.emplace(tx.as_string());
        }
        if (legs->as_array().size() > 1) h.split = true;
      }
    }
    if (name == "confirmed" || name == "partiallyFilled") {
      if (const auto* legs = e.if_contains("legs"); legs != nullptr && legs->is_array()) {
        for (const auto& leg : legs->as_array()) {
          if (leg.is_object() && string_at(leg.as_object(), "status") == "confirmed") {
            h.confirmed.insert(string_at(leg.as_object(), "txHash"));
          }
        }
      }
    }
    if (name == "legSettled" && !e.contains("error")) h.confirmed.insert(string_at(e, "txHash"));
  }
  h.sent.erase("");
  h.confirmed.erase("");
  return h;
}

// Asks either node, a few times: the run is over, but a node may still be
// taking its partitions back.
History read_history(HttpClient& http, const Cluster& cluster, const std::string& id) {
  std::string why;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto res = http.get(cluster.node(attempt % 2).port(), "/api/orders/" + id + "/events");
    if (res.status == 404) return History{};
    if (res.status == 200) {
      if (const auto body = res.json()) return parse_history(*body);
    }
    why = res.status == 0 ? res.error : fmt::format("{} {}", res.status, res.body.substr(0, 200));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw std::runtime_error("cannot read the events of " + id + ": " + why);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The order's status as a node serves it (its folded state): "unknown"
// for a 404; empty if the node gives none, with its last answer in `why`
// (empty too when the node is down: that is reported on its own).
std::string served_status(HttpClient& http, const Node& node, const std::string& id, std::string& why) {
  for (int attempt = 0; attempt < 6; ++attempt) {
    const auto res = http.get(node.port(), "/api/orders/" + id);
    if (res.status == 404) return "unknown";
    const auto body = res.status == 200 ? res.json() : std::nullopt;
    if (body && body->is_object()) {
      const auto status = string_at(body->as_object(), "status");
      if (!status.empty()) return status;
    }
    why = res.status == 0 ? std::string() : fmt::format("answers {} {}", res.status, res.body.substr(0, 300));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return {};
}

std::string describe_cancels(const OrderRecord& r) {
  std::string out;
  for (const auto* list : {&r.cancels, &r.sweep_cancels}) {
    for (const auto& a : *list) {
      if (a.status != 200) continue;
      out += fmt::format("{}cancel answered 200 by node {} at t={:.1f}s{}", out.empty() ? "" : "; ", node_name(a.node), a.at,
                         list == &r.sweep_cancels ? " (the end's sweep)" : "");
    }
  }
  return out;
}

}  // namespace

Verdict check_orders(const Cluster& cluster, const std::vector<OrderRecord>& records, ChainLedger& chain,
                     const std::atomic<bool>& stop) {
  Verdict v;
  HttpClient http(std::chrono::seconds(10));
  for (const auto& r : records) {
    if (stop.load()) break;
    if (!r.acknowledged()) continue;
    // An acknowledged order is the cluster's: "unknown" is a wrong answer
    // to anyone who asks about it, whichever node was asked and when.
    for (const auto* list : {&r.cancels, &r.sweep_cancels, &r.amends}) {
      for (const auto& a : *list) {
        if (a.status != 404) continue;
        v.answered_unknown.push_back({r.id, fmt::format("{} answered 404 (unknown order) by node {} at t={:.1f}s",
                                                        list == &r.amends ? "an amend" : "a cancel",
                                                        node_name(a.node), a.at)});
      }
    }
    const History h = read_history(http, cluster, r.id);
    if (!h.known) {
      v.lost.push_back({r.id, "acknowledged, unknown to the cluster (404)"});
      ++v.outcomes["unknown"];
      continue;
    }
    // What each node serves must be an end, and the same end: a client may
    // ask either.
    std::array<std::string, kNodes> served;
    for (int n = 0; n < kNodes; ++n) {
      std::string why;
      served[static_cast<std::size_t>(n)] = served_status(http, cluster.node(n), r.id, why);
      // An order a node cannot show is lost to the clients that ask it.
      if (served[static_cast<std::size_t>(n)].empty() && !why.empty()) {
        v.lost.push_back({r.id, fmt::format("node {} cannot show it: GET /api/orders/{{id}} {}; its events: {}",
                                            node_name(n), why, joined(h.names))});
      }
    }
    const std::string status = !served[0].empty() ? served[0] : !served[1].empty() ? served[1] : h.status;
    ++v.outcomes[status];
    if (h.split) ++v.split_orders;
    for (int n = 0; n < kNodes; ++n) {
      const auto& s = served[static_cast<std::size_t>(n)];
      if (!s.empty() && !is_terminal_status(s)) {
        v.lost.push_back({r.id, fmt::format("acknowledged, never ended: node {} serves it {}; its events: {}",
                                            node_name(n), s, joined(h.names))});
      }
    }
    if (!served[0].empty() && !served[1].empty() && served[0] != served[1] && is_terminal_status(served[0]) &&
        is_terminal_status(served[1])) {
      v.doubled.push_back({r.id, fmt::format("two ends: node a serves it {}, node b {}; its events: {}", served[0],
                                             served[1], joined(h.names))});
    }

    std::set<std::string> landed;
    std::set<std::string> looked = h.sent;
    looked.insert(h.confirmed.begin(), h.confirmed.end());
    for (const auto& tx : looked) {
      const auto outcome = chain.outcome(tx);
      if (outcome && outcome->outcome == core::TxOutcome::landed) landed.insert(tx);
    }
    v.signatures_sent += static_cast<int>(h.sent.size());
    v.signatures_landed += static_cast<int>(landed.size());
    if (h.terminal_events > 1) {
      v.doubled.push_back({r.id, fmt::format("{} terminal events: {}", h.terminal_events, joined(h.names))});
    }
    for (const auto& tx : landed) {
      if (!h.confirmed.contains(tx)) v.doubled.push_back({r.id, "signature " + tx + " landed but its log does not confirm it"});
    }
    for (const auto& tx : h.confirmed) {
      if (!landed.contains(tx)) v.doubled.push_back({r.id, "its log confirms " + tx + ", which the chain has not landed"});
    }

    if (r.cancel_answered_200()) {
      // Cancelled as the log tells it and as both nodes serve it, and
      // nothing of it on the chain.
      const bool served_cancelled = (served[0].empty() || served[0] == "cancelled") &&
                                    (served[1].empty() || served[1] == "cancelled");
      if (h.status != "cancelled" || !served_cancelled || !landed.empty()) {
        v.cancels_broken.push_back(
            {r.id, fmt::format("{}; its events end {}, node a serves it {}, node b {}, {} signature(s) landed (its events: {})",
                               describe_cancels(r), h.status, served[0].empty() ? "nothing" : served[0],
                               served[1].empty() ? "nothing" : served[1], landed.size(), joined(h.names))});
      }
    }
  }
  return v;
}

VerifyResult verify_log(const std::filesystem::path& logdump, const std::string& nats_urls,
                        const std::filesystem::path& output, const std::atomic<bool>& stop) {
  VerifyResult out;
  out.exit_code =
      run_command({logdump.string(), "--verify"}, output, std::chrono::minutes(5), &stop, {{"OEE_NATS_URL", nats_urls}});
  // Its verdict is in the lines that say ok or FAILED (its progress, on
  // the same file, is left out).
  const std::string text = tail_of(output, 64 * 1024);
  std::vector<std::string> verdicts;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto eol = std::min(text.find_first_of("\r\n", start), text.size());
    const std::string line = text.substr(start, eol - start);
    if (line.find("verifying") == std::string::npos &&
        (line.find(" ok") != std::string::npos || line.find("FAILED") != std::string::npos)) {
      verdicts.push_back(line);
    }
    start = eol + 1;
  }
  const std::size_t keep = std::min<std::size_t>(verdicts.size(), 12);
  for (std::size_t i = verdicts.size() - keep; i < verdicts.size(); ++i) out.summary += "  " + verdicts[i] + "\n";
  return out;
}

}  // namespace oee::chaos
