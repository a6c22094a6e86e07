#pragma once
// A small journal that every node of a cluster reads whole and in order,
// for state that is not an order's but that every node must hold the
// same: the simulated market's set prices and launches. An entry is
// applied by every node in the journal's order, so nodes that apply the
// same entries agree; a conditional append (the entry after `after`, or
// none) lets a writer decide on the state it has seen.
//
// Threading: append() and last() are thread-safe; the apply callback runs
// on the journal's own thread, one entry at a time.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "eventlog/errors.h"
#include "eventlog/types.h"

namespace oee::eventlog {

class SharedJournal {
 public:
  using Apply = std::function<void(Seq seq, std::string_view entry)>;

  virtual ~SharedJournal() = default;

  /// Stores `entry` and returns its seq once the journal holds it durably.
  /// With `after`: only if the journal's last entry is still that one (0:
  /// none), else Errc::superseded and nothing is stored.
  [[nodiscard]] virtual Result<Seq> append(std::string_view entry, std::optional<Seq> after) = 0;
  /// The seq of the journal's last entry now (0: none).
  [[nodiscard]] virtual Result<Seq> last() = 0;
  /// Calls `apply` for every entry from the first on, then for each new
  /// one as it comes, until stop(). Reconnects by itself after an outage.
  virtual void start(Apply apply) = 0;
  /// Returns once no apply runs. Idempotent.
  virtual void stop() = 0;
};

}  // namespace oee::eventlog
