#pragma once
// Fan-out of status updates to WebSocket subscribers: in the core, of its
// own committed events; in a gateway, of what Redis delivers.
//
// Lifecycle: in the core, created before the log accepts appends; attach()
// registers a commit listener. Threading: the listener only copies records and posts
// them to the hub's strand, where messages are rendered once and handed to
// each subscriber's deliver() outside the subscriber lock. Ownership: the
// hub holds weak references; a subscriber that goes away is forgotten.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/fwd.hpp>

#include "eventlog/event_log.h"
#include "eventlog/position.h"

namespace oee::api {

/// Where a status message stands in its order's stream: its record's seq,
/// then its place among that record's messages (core::message_rank). A
/// reader that drops repeats drops what is not after the last it kept.
struct MessageAt {
  Seq seq{0};
  std::uint8_t rank = 0;
  friend auto operator<=>(const MessageAt&, const MessageAt&) = default;
};
/// Past every message of its record: where a reader that kept a record's
/// last message stands (StatusUpdate::kept_at).
inline constexpr std::uint8_t kEveryRank = 255;
/// Where to read an order's past from after `last`: the next record, or
/// the same one again when more of its messages may follow (a reader drops
/// what it had).
[[nodiscard]] inline Seq resume_from(MessageAt last) {
  return Seq{last.rank == kEveryRank || last.seq.value == 0 ? last.seq.value + 1 : last.seq.value};
}

struct StatusUpdate {
  OrderId order;
  Seq seq;
  /// Its place among its record's messages: a routedAndSent shows as up to
  /// three, each with the record's seq.
  std::uint8_t rank = 0;
  /// Whether it is its record's last message (false for a routedAndSent's
  /// routingStarted and routed; from Redis, for any of those two, which
  /// more of its record may follow).
  bool ends_record = true;
  [[nodiscard]] MessageAt at() const { return MessageAt{seq, rank}; }
  /// As a reader that kept it stands: past its whole record if it ends it.
  [[nodiscard]] MessageAt kept_at() const { return MessageAt{seq, ends_record ? kEveryRank : rank}; }
  PartitionId partition{};  // whose seq `seq` is (0 in the embedded log)
  bool terminal = false;
  std::string text;  // the status message, in the oee.v1 dialect
  /// A recurring order's sliceStarted: the slice's order, whose steps its
  /// parent's stream carries from then on.
  std::optional<OrderId> child;
  /// Set on a slice's update as its parent's stream carries it (then never
  /// terminal: the slice's end is not the stream's; `slice_ended` says
  /// whether it is the slice's).
  std::optional<OrderId> parent;
  bool slice_ended = false;
  /// A recurring order's recurringCompleted: every slice of it has ended.
  bool completes_slices = false;
  /// An orderFailed: terminal, but the order is a dead letter an operator
  /// may still retry or dismiss, events its followers wait for.
  bool dead_letter = false;

  /// The same message in the compat dialect (core/wire/compat_message.h),
  /// rendered the first time a client of that dialect needs it; empty for
  /// an event that dialect does not carry.
  [[nodiscard]] const std::string& compat_text() const;

 private:
  mutable std::once_flag compat_once_;
  mutable std::string compat_;
};

/// The updates for one committed event (renders its status messages: one,
/// or the statuses a routedAndSent stands for), in order.
[[nodiscard]] std::vector<std::shared_ptr<const StatusUpdate>> make_status_updates(const eventlog::Record& record);
/// A slice's update as its recurring parent's stream carries it.
[[nodiscard]] std::shared_ptr<const StatusUpdate> as_part_of(const StatusUpdate& slice, const OrderId& parent);

/// Reads one status message as published or served by the core; nullptr
/// if it is not one.
[[nodiscard]] std::shared_ptr<const StatusUpdate> parse_status_update(std::string text);
/// The same for a message already parsed; `text` is its serialisation.
[[nodiscard]] std::shared_ptr<const StatusUpdate> status_update_from(const boost::json::object& message,
                                                                     std::string text);

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  /// Must not block (post to your own strand); may be called on any thread.
  virtual void deliver(std::shared_ptr<const StatusUpdate> update) = 0;
  /// Live updates for `order` may have been missed (the feed had a gap):
  /// fetch what came after the last one delivered.
  virtual void resync(const OrderId& order) = 0;
  /// The same for a subscriber to every order.
  virtual void resync_everything() {}
};

class Hub {
 public:
  explicit Hub(boost::asio::any_io_executor executor);

  /// Fans out what `log` commits from now on, until the hub is destroyed.
  void attach(eventlog::EventLogWriter& log);
  void subscribe(const OrderId& order, const std::shared_ptr<Subscriber>& subscriber);
  void unsubscribe(const OrderId& order, const Subscriber* subscriber);
  /// Every order's updates (an API key's own are picked by the subscriber).
  void subscribe_all(const std::shared_ptr<Subscriber>& subscriber);
  void unsubscribe_all(const Subscriber* subscriber);
  [[nodiscard]] std::size_t subscriptions() const;
  /// How far the hub has fanned out, partition by partition.
  [[nodiscard]] eventlog::Position published() const;
  /// Events the log has committed that the hub has not fanned out yet.
  [[nodiscard]] std::uint64_t backlog() const;

  /// A running slice of the recurring order `parent` whose sliceStarted the
  /// hub may not have seen (it came before a restart): its updates go to
  /// the parent's followers too, until it ends.
  void add_slice(const OrderId& child, const OrderId& parent);
  /// Fans out one update that arrived already rendered (a gateway's feed).
  void fan_out(const std::shared_ptr<const StatusUpdate>& update);
  /// Asks every subscriber to fetch what it may have missed.
  void resync_all();

 private:
  struct State;
  std::shared_ptr<State> state_;
  eventlog::CommitSubscription commits_;
};

}  // namespace oee::api
