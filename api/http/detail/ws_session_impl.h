#pragma once
// The WebSocket session, shared by its two halves: ws_session.cpp moves
// frames (accept, read, the outgoing queue, close) and ws_subscriptions.cpp
// decides what they carry (subscriptions, catch-ups, merging past and live).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "api/http/http_message.h"
#include "api/http/server_context.h"
#include "api/http/ws_command.h"
#include "api/http/ws_route.h"
#include "api/tls/transport.h"
#include "eventlog/position.h"

namespace oee::api::detail {

// One WebSocket client. Runs on its connection's strand; the hub and the
// stream source reach it only through posts there.
//
// A per-order subscription ends by itself after its order's terminal
// update (a recurring order's once its slices seen running ended too; a
// failed order's once it is dismissed, for an operator may retry it); an
// unsubscribe after that is answered as before and changes nothing.
//
// Per order it keeps the last message sent (its seq, and its rank among
// its record's messages). A subscription registers with the
// hub first and then asks the source for the past; live updates that
// arrive meanwhile are held and merged by seq after the past, so nothing is
// lost or repeated across the catch-up/live boundary, whether the past
// comes from the local log or over HTTP from the core.
class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Transport&& stream, ConnectionSlot slot, ServerContext& ctx, WsProtocol protocol,
            boost::beast::http::request<boost::beast::http::string_body> upgrade_request, Principal principal);
  ~WsSession() override;

  void deliver(std::shared_ptr<const StatusUpdate> update) override;
  void resync(const OrderId& order) override;
  void resync_everything() override;

  // Parameters are trivially copyable, the request a member: [gcc12-coro].
  boost::asio::awaitable<void> run(const OrderId* fixed, std::uint64_t from_seq);

 private:
  struct Subscription {
    MessageAt last{};            // the last message sent to the client
    std::uint64_t from_seq = 0;  // as asked, echoed in "subscribed"
    bool confirmed = false;      // "subscribed" sent
    bool catching_up = false;
    bool resync_pending = false;  // a gap was reported during a catch-up
    bool in_line = false;         // waiting in catch_up_line_ (once, however often it is asked for)
    std::uint64_t generation = 0;
    std::vector<std::shared_ptr<const StatusUpdate>> held;  // live updates during a catch-up
    // The subscription ends by itself once its order's terminal update is
    // sent and no slice of it seen starting is still running.
    bool order_ended = false;
    std::unordered_set<OrderId, OrderIdHash> slices_running;
    [[nodiscard]] bool finished() const { return order_ended && slices_running.empty(); }
  };
  // Whose an order met on the stream of every order is, for an API key.
  struct KeyView {
    enum class Seen { checking, own, other };
    Seen seen = Seen::checking;
    bool finished = false;  // its terminal event went by: may be forgotten
  };
  // The subscription to every order the client may see. Its messages go
  // out in seq order, an API key's too: an order whose owner is being
  // checked holds back everything after it.
  struct AllOrders {
    bool on = false;
    bool confirmed = false;        // "subscribed" sent
    bool catching_up = false;      // the past is being read
    bool resync_pending = false;   // live updates were missed meanwhile
    std::uint64_t subscription = 0;  // changes with each subscribe and unsubscribe
    std::uint64_t generation = 0;    // of the read of the past in flight
    eventlog::Position replayed;     // live updates up to here came with the past
    eventlog::Position processed;    // sent or passed over, each partition's: a resync goes on from here
    // Of the record at a partition's `processed` seq, the last message
    // sent or passed over (a routedAndSent's steps come one by one).
    std::map<PartitionId, MessageAt> processed_part;
    [[nodiscard]] bool covers(const StatusUpdate& u) const;
    void advance(const StatusUpdate& u);
    /// Where a resync reads from: the start of a record passed in part.
    [[nodiscard]] eventlog::Position resume() const;
    std::deque<std::shared_ptr<const StatusUpdate>> backlog;  // the past, sent as the socket drains
    std::deque<std::shared_ptr<const StatusUpdate>> held;     // live updates waiting their turn
    std::unordered_map<OrderId, KeyView, OrderIdHash> views;  // an API key's: whose each order is
  };
  // A submit on its way through the REST route (a box: [gcc12-coro]).
  struct PendingSubmit {
    std::string request_id;
    HttpRequest request;
  };
  struct Outgoing {
    std::shared_ptr<const std::string> text;
    bool close_after = false;
  };

  // ws_subscriptions.cpp: what the frames carry.
  void on_message(const std::string& text);
  /// Whether the key's read limit takes one more frame (always, for the
  /// admin key or with authentication off). Refused, the first frame is
  /// answered 429 and the next ones are dropped unanswered until one is
  /// taken again.
  [[nodiscard]] bool within_read_limit(std::string_view order);
  /// `announced`: no "subscribed" (a submit's answer said as much).
  void subscribe(const OrderId& id, std::uint64_t from_seq, bool announced = false);
  void unsubscribe(const OrderId& id);
  /// Ends a subscription whose order finished (Subscription::finished).
  void end_if_finished(const OrderId& id);

  // ws_submit.cpp: orders submitted over the socket.
  void submit(WsCommand command);
  boost::asio::awaitable<void> run_submit(std::unique_ptr<PendingSubmit> pending);
  void on_submitted(const std::string& request_id, const HttpResponse& response);
  /// Follows an order submitted here from after its accepted seq: the
  /// answer was its first status.
  void follow_submitted(const OrderId& id, std::uint64_t accepted_seq);
  void start_catch_up(const OrderId& id, Subscription& sub);
  void pump_catch_ups();
  [[nodiscard]] std::size_t catch_up_room() const;
  void on_catch_up(const OrderId& id, std::uint64_t generation, CatchUp result);
  void retry_catch_up_later(const OrderId& id, std::uint64_t generation);
  void after_a_second(std::function<void()> retry);
  void on_update(const std::shared_ptr<const StatusUpdate>& u);
  /// Where a subscription to every order starts: after the position its
  /// fromSeq names, or live (none) when it names none.
  [[nodiscard]] boost::system::result<std::optional<eventlog::Position>, ApiError> all_orders_from(
      const WsCommand& command) const;
  void subscribe_all(std::optional<eventlog::Position> after);
  void unsubscribe_all();
  void read_all_past(const eventlog::Position& after);
  void on_all_past(std::uint64_t generation, const eventlog::Position& asked, CatchUp result);
  void send_skipped(const eventlog::Position& asked, const eventlog::Position& before);
  /// A position as this log's clients write it in control messages.
  [[nodiscard]] boost::json::value position_json(const eventlog::Position& next) const;
  void pump_all_backlog();
  void on_all_update(const std::shared_ptr<const StatusUpdate>& u);
  void drain_held();
  [[nodiscard]] bool pass_on(const std::shared_ptr<const StatusUpdate>& u);
  void check_key_view(const OrderId& order, Seq seen_at);
  void on_key_view(const OrderId& order, std::uint64_t subscription, CatchUp::Outcome outcome, Seq seen_at);
  void forget_finished_views();
  void send_all(const std::shared_ptr<const StatusUpdate>& u);
  void send_if_new(Subscription& sub, const std::shared_ptr<const StatusUpdate>& u);
  void send_control(std::string_view type, const boost::json::object& fields = {});
  /// `order`: the order it is about, which a compat error names;
  /// `request_id`: the submit it answers.
  void send_error(const ApiError& e, std::string_view order = {}, std::string_view request_id = {});

  // ws_session.cpp: moving the frames.
  void close_going_away();
  void close_for_policy(std::string reason);
  void close_at_expiry(TimestampNs expires_at);
  void enqueue(std::shared_ptr<const std::string> text, bool terminal);
  void arm_hard_close();
  boost::asio::awaitable<void> writer();
  void cork(bool on);

  static constexpr int kConcurrentCatchUps = 4;
  /// Submits of one socket in flight at once; past it a submit is refused.
  static constexpr int kConcurrentSubmits = 256;

  boost::beast::websocket::stream<Transport> ws_;
  ConnectionSlot slot_;
  ServerContext& ctx_;
  WsProtocol protocol_;
  Principal principal_;  // sees only what it may: another key's order is not found
  boost::beast::http::request<boost::beast::http::string_body> upgrade_request_;
  WsDialect dialect_ = WsDialect::compat;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer expiry_;  // the key's, if it has one
  std::deque<Outgoing> queue_;
  std::unordered_map<OrderId, Subscription, OrderIdHash> subs_;
  // The last seq sent of orders whose subscriptions ended with them (the
  // latest ws_subscriptions_limit): the subscription to every order does
  // not send those again.
  std::unordered_map<OrderId, MessageAt, OrderIdHash> ended_;
  std::deque<std::pair<OrderId, MessageAt>> ended_in_order_;
  AllOrders all_;
  std::deque<OrderId> catch_up_line_;  // subscriptions waiting to catch up, each at most once
  int catch_ups_running_ = 0;
  int submits_running_ = 0;
  bool closing_ = false;
  bool told_rate_limited_ = false;  // a 429 went out since the last frame taken
  bool corked_ = false;
  bool writer_done_ = false;
  boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::none;
  std::string close_reason_;
};

}  // namespace oee::api::detail
