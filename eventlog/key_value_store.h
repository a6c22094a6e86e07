#pragma once
// A durable map beside the events, for state that is not an event (the
// simulated chain's landed transactions). It lives on disk with a bounded
// cache, so its memory does not grow with the number of keys. A put reaches
// the operating system before it returns: it survives kill -9 of the
// process, not a power loss.
//
// Thread-safe.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "eventlog/errors.h"
#include "eventlog/types.h"

namespace oee::eventlog {

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;

  [[nodiscard]] virtual Result<std::optional<std::string>> get(std::string_view key) const = 0;
  /// Errc::unavailable while the storage refuses writes (a full disk): the
  /// store tries again by itself, with backoff, on later calls.
  [[nodiscard]] std::error_code put(std::string_view key, std::string_view value) {
    const Entry entry{key, value};
    return put_all(std::span(&entry, 1));
  }
  struct Entry {
    std::string_view key;
    std::string_view value;
    /// The last moment the key may be stored (a transaction's last valid
    /// time); none: always. A store that keeps keys only while they may
    /// come again (the cluster's chain) relies on it; others ignore it.
    TimestampNs valid_until{};
  };
  /// Puts all of `entries` in one write, or none of them.
  [[nodiscard]] virtual std::error_code put_all(std::span<const Entry> entries) = 0;
  /// What create_all() found for one entry: nothing if it stored the entry
  /// now, the value the key held if it held one (then nothing was stored).
  using Created = Result<std::optional<std::string>>;
  /// Stores each entry whose key holds nothing, and leaves a key that holds
  /// a value as it is: one answer per entry, in order. Two create_all()s
  /// racing for one key store it once (put_all() is not checked). An entry
  /// whose validity ended too long ago to be judged may be answered
  /// Errc::too_late: its key holds nothing, and never will.
  [[nodiscard]] virtual std::vector<Created> create_all(std::span<const Entry> entries) = 0;
  /// Makes every put so far survive a power loss too.
  [[nodiscard]] virtual std::error_code sync() = 0;
  /// Every entry, in key order.
  [[nodiscard]] virtual std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const = 0;
  /// Why writes are refused, or empty.
  [[nodiscard]] virtual std::string write_error() const = 0;
};

}  // namespace oee::eventlog
