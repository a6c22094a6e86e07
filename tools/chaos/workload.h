#pragma once
// The clients of a chaos run: each submits orders to a random node (market
// orders, and limit orders near the price so that some fire and some
// wait), cancels some through the other node a moment later and amends
// some waiting ones, and records every answer. A submit without an answer
// (a node down or paused, a 503) is sent again with its Idempotency-Key,
// to either node, so that it makes one order however often it is sent.
//
// Lifecycle: start() runs `clients` threads until `until` (or an
// interruption); join() waits for them (a submit being retried is still
// seen to its end); records() is read after join().
// Threading: each client owns its records; the counters are atomic.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tools/chaos/cluster.h"

namespace oee::chaos {

/// A request's last answer: its status (0: none came) and error code, the
/// node that gave it and when (seconds into the run, to set beside the
/// faults and the nodes' logs).
struct Answer {
  int status = 0;
  std::string code;
  int node = 0;
  double at = 0;
};

struct OrderRecord {
  int client = 0;
  int number = 0;
  std::string key;     // its Idempotency-Key
  bool limit = false;  // else a market order
  std::string body;
  std::string id;      // empty unless a submit was acknowledged (202, or 200 for a replay)
  Answer submit;       // the last submit's answer
  int submits = 0;     // how often it was sent
  std::vector<Answer> cancels;        // each cancel's last answer, in the run
  std::vector<Answer> sweep_cancels;  // the end's cancels of a waiting order
  std::vector<Answer> amends;         // each amendment's last answer

  [[nodiscard]] bool acknowledged() const { return !id.empty(); }
  [[nodiscard]] bool cancel_answered_200() const;
};

struct WorkloadCounters {
  std::atomic<long> acknowledged{0};
  std::atomic<long> unacknowledged{0};
  std::atomic<long> cancels{0};
  std::atomic<long> amends{0};
};

struct WorkloadOptions {
  std::uint64_t seed = 0;
  int clients = 8;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point until;
};

class Workload {
 public:
  Workload(const Cluster& cluster, WorkloadOptions options, const std::atomic<bool>& interrupted);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  /// `price`: SOL in USDC as last quoted, until a client quotes it anew.
  void start(double price);
  void join();
  /// Every client's records, client by client, in the order sent.
  [[nodiscard]] std::vector<OrderRecord> records() const;
  [[nodiscard]] const WorkloadCounters& counters() const { return counters_; }
  /// Errors a client thread stopped on (none in a sound run).
  [[nodiscard]] std::vector<std::string> errors() const;

 private:
  void run_client(int index);

  const Cluster& cluster_;
  WorkloadOptions options_;
  const std::atomic<bool>& interrupted_;
  std::atomic<double> price_{0};
  WorkloadCounters counters_;
  std::vector<std::vector<OrderRecord>> records_;
  std::vector<std::string> errors_;
  std::vector<std::thread> threads_;
};

/// The SOL/USDC price a node quotes for 1 SOL (its best venue's amount
/// out); 0 without an answer.
[[nodiscard]] double quoted_price(class HttpClient& http, unsigned short port);

/// Whether an answer was a submit's acknowledgment; its order id then.
[[nodiscard]] std::string acknowledged_id(int status, const std::string& body);

}  // namespace oee::chaos
