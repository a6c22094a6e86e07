#pragma once
// Where a WebSocket session gets an order's events: live updates from the
// hub, and the past (from a seq) on request. The core reads its own log;
// a gateway asks the core over HTTP and is fed live by Redis.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/auth/access.h"
#include "api/stream/hub.h"
#include "eventlog/event_log.h"

namespace boost::asio {
class thread_pool;
}

namespace oee::api {

struct CatchUp {
  enum class Outcome { ok, not_found, unavailable };
  Outcome outcome = Outcome::ok;
  std::vector<std::shared_ptr<const StatusUpdate>> updates;  // in seq order
  std::string error;  // for not_found and unavailable
  /// For every order's events: the answer covers what came after `before`
  /// up to `last` (the viewer's events among them are `updates`).
  eventlog::Position before;
  eventlog::Position last;
  /// A cluster's partition count, where the answer came from a cluster
  /// node over HTTP (0: the embedded log's, or not said).
  std::uint32_t partitions = 0;
};

using CatchUpHandler = std::function<void(CatchUp)>;

class StreamSource {
 public:
  virtual ~StreamSource() = default;
  [[nodiscard]] virtual Hub& hub() = 0;
  /// The order's events with seq >= from, not_found if `viewer` may not
  /// see it; `done` runs once, on any thread.
  virtual void catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) = 0;
  /// Every order's events after `after` that `viewer` may see, at most the
  /// newest `max` of them; `done` runs once, on any thread.
  virtual void recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
                      CatchUpHandler done) = 0;
  /// Whether positions here go partition by partition (a cluster's log),
  /// and how many partitions a position may name.
  [[nodiscard]] virtual bool partitioned() const = 0;
  [[nodiscard]] virtual std::uint32_t partitions() const = 0;
  /// The error code a client gets when the past cannot be read.
  [[nodiscard]] virtual std::string_view unavailable_code() const = 0;
};

/// An order's events with seq >= from; nullopt if there is no such order
/// or `viewer` may not see it (another key's order is as absent as one that
/// never was). A known order with nothing from `from` on has an empty list.
[[nodiscard]] eventlog::Result<std::optional<std::vector<eventlog::Record>>> read_known_order(
    const eventlog::EventLogReader& log, const OrderId& order, Seq from, const Principal& viewer);

/// The most events one read of every order's gives (REST page, a WebSocket's
/// past of every order).
inline constexpr std::size_t kMaxEventPage = 10'000;

/// Events of every order, read from the log.
struct EventPage {
  /// The viewer's: each partition's in seq order, and in a cluster's log
  /// the partitions interleaved by event time.
  std::vector<eventlog::Record> records;
  eventlog::Position before;  // the events read, whoever's they were, came after this
  eventlog::Position last;    // and up to this (`before` where nothing was read)
  eventlog::Position head;    // the log's head when it was read
};

/// Up to `max` events after `after` (`newest`: the last `max` of those up
/// to the head), keeping the orders `viewer` may see; API key events and
/// the log's own are left out.
[[nodiscard]] eventlog::Result<EventPage> read_events(const eventlog::EventLogReader& log,
                                                      const eventlog::Position& after, std::size_t max, bool newest,
                                                      const Principal& viewer);

/// The core's source: its own log. Read where it is asked, or, given a
/// pool (a cluster node's, whose reads may wait on another node's answer),
/// on the pool: a session's thread never waits on another node.
class LogStreamSource final : public StreamSource {
 public:
  LogStreamSource(Hub& hub, const eventlog::EventLogReader& log, boost::asio::thread_pool* reads = nullptr)
      : hub_(hub), log_(log), reads_(reads) {}
  Hub& hub() override { return hub_; }
  void catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) override;
  void recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
              CatchUpHandler done) override;
  bool partitioned() const override { return log_.partitioned(); }
  std::uint32_t partitions() const override { return log_.partition_count(); }
  std::string_view unavailable_code() const override { return "log_unavailable"; }

 private:
  void read_past(const OrderId& order, Seq from, const Principal& viewer, const CatchUpHandler& done);
  void read_recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
                   const CatchUpHandler& done);

  Hub& hub_;
  const eventlog::EventLogReader& log_;
  boost::asio::thread_pool* reads_;  // none: read on the asking thread
};

}  // namespace oee::api
