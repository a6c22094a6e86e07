#pragma once
// Where the writes other nodes asked for landed lately, by request id: a
// retry (same id, its first answer lost) finds its write stored rather
// than storing it twice. Kept for kKept, for a retry comes within the
// append timeout; and in the owner's checkpoints, for the next owner.
//
// Threads: the fold remembers; the appender looks up; the checkpointer
// copies. Its mutex is a leaf.

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

class RecentRequests {
 public:
  static constexpr std::chrono::minutes kKept{2};

  struct Landed {
    std::string request;
    Seq position;
    OrderId order;
  };

  /// Notes where `request` landed; forgets those older than kKept.
  void remember(const std::string& request, Seq position, const OrderId& order);
  /// Where `request` landed, if lately.
  [[nodiscard]] std::optional<Landed> find(const std::string& request) const;
  /// Every one kept, oldest first (for a checkpoint).
  [[nodiscard]] std::vector<Landed> kept() const;
  /// Adds those a checkpoint kept, as if they landed now.
  void restore(std::vector<Landed> landed);

 private:
  struct Entry {
    Seq position;
    OrderId order;
    std::chrono::steady_clock::time_point at;
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_request_;  // under mu_
  std::deque<std::string> ages_;                       // oldest first; under mu_
};

}  // namespace oee::eventlog::jetstream::detail
