#include "tools/chaos/settle.h"

#include <thread>

#include <boost/json.hpp>

#include "tools/chaos/http_client.h"

namespace oee::chaos {

using Clock = std::chrono::steady_clock;

bool is_terminal_status(const std::string& status) {
  return status == "confirmed" || status == "failed" || status == "cancelled" || status == "expired" ||
         status == "partially_filled";
}

namespace {

// The order's status; "unknown" for a 404; empty without one, with what
// the node answered instead in `other`.
std::string status_of(const HttpResponse& res, std::string& other) {
  const auto body = res.status == 200 ? res.json() : std::nullopt;
  if (body && body->is_object()) {
    const auto* status = body->as_object().if_contains("status");
    if (status != nullptr && status->is_string()) return std::string(status->as_string());
  }
  if (res.status == 404) return "unknown";
  other = res.status == 0 ? "no answer (" + res.error + ")" : "answered " + std::to_string(res.status) + " " + res.error_code();
  return {};
}

}  // namespace

Settled settle(const Cluster& cluster, std::vector<OrderRecord>& records, Clock::time_point start,
               std::chrono::seconds timeout, const std::atomic<bool>& interrupted) {
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  HttpClient http(std::chrono::seconds(10));
  std::vector<std::size_t> open;
  std::vector<std::string> last(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].acknowledged()) open.push_back(i);
  }
  Settled out;
  for (int round = 0; !open.empty() && !interrupted.load(); ++round) {
    std::vector<std::size_t> still;
    for (const std::size_t i : open) {
      auto& r = records[i];
      // Reads and cancels alternate between the nodes: either must serve any order.
      const int node = static_cast<int>((i + static_cast<std::size_t>(round)) % 2);
      std::string other;
      const auto status = status_of(http.get(cluster.node(node).port(), "/api/orders/" + r.id), other);
      last[i] = (status.empty() ? other : status) + " on node " + node_name(node);
      if (is_terminal_status(status)) continue;
      if (status == "open" || status == "watching") {
        const auto res = http.request(cluster.node(1 - node).port(), "DELETE", "/api/orders/" + r.id);
        r.sweep_cancels.push_back(Answer{res.status, res.error_code(), 1 - node,
                                         std::chrono::duration<double>(Clock::now() - start).count()});
        ++out.cancels_sent;
        if (res.status == 200) {
          ++out.cancels_200;
          continue;
        }
      }
      still.push_back(i);
    }
    open = std::move(still);
    if (open.empty() || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  for (const std::size_t i : open) {
    out.unfinished.push_back(records[i].id + ": " + last[i]);
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return out;
}

}  // namespace oee::chaos
