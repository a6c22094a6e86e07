#pragma once
// How a read-only connection follows a stream. The tools' NATS user may not
// make consumers: a consumer delivers wherever its maker says, and the
// servers do not check that against the maker's permissions, so one made
// with a read-only credential could deliver a stream's messages on a
// subject nodes listen to (docs/security.md). It asks the stream's leader
// for the messages by seq instead, a window of requests sent together, and
// keeps those the filter matches.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/jetstream/connection.h"

namespace oee::eventlog::jetstream::detail {

/// Whether NATS subject `subject` matches `filter` (`*` one token, `>` the rest).
[[nodiscard]] bool subject_matches(std::string_view filter, std::string_view subject);

/// A MSG.GET answer: the message, nothing (none at that seq), or an error.
[[nodiscard]] Result<std::optional<StoredMessage>> message_of(std::string_view answer);

/// Threading: one thread at a time.
class MessageGetReader {
 public:
  /// `connection` outlives it; each window of gets waits up to `request_timeout`.
  MessageGetReader(Connection& connection, std::string stream, std::string filter, Seq from,
                   std::chrono::milliseconds request_timeout);
  /// As Subscription::next; `pending`: the messages the stream held beyond
  /// the one returned, when last asked.
  [[nodiscard]] Result<std::optional<StoredMessage>> next(std::chrono::milliseconds timeout, std::uint64_t& pending);

 private:
  /// Gets the next window of messages up to last_.
  [[nodiscard]] std::error_code fetch();

  Connection& connection_;
  const std::string stream_;
  const std::string filter_;
  const std::chrono::milliseconds request_timeout_;
  Seq next_;  // the next stream seq to ask for
  Seq last_;  // the stream's last seq, as last asked
  std::deque<StoredMessage> ready_;
};

}  // namespace oee::eventlog::jetstream::detail
