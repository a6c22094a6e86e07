#include "core/wire/status_json.h"

#include <charconv>
#include <cstring>

#include "core/domain/tokens.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"  // bps_fraction

namespace oee::core {

namespace {

// Writes members with commas between them; escapes strings the way
// Boost.JSON's serializer does.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void open(char c) {
    out_.push_back(c);
    first_ = true;
  }
  void close(char c) {
    out_.push_back(c);
    first_ = false;
  }
  void key(std::string_view k) {
    // Keys are ours: nothing to escape. One append of `,"key":`.
    char buf[32];
    std::size_t n = 0;
    if (!first_) buf[n++] = ',';
    first_ = false;
    buf[n++] = '"';
    std::memcpy(buf + n, k.data(), k.size());
    n += k.size();
    buf[n++] = '"';
    buf[n++] = ':';
    out_.append(buf, n);
  }
  /// A value we produced ourselves (names, formatted numbers, the order id):
  /// nothing in it needs escaping.
  void plain(std::string_view k, std::string_view v) {
    key(k);
    out_.push_back('"');
    out_.append(v);
    out_.push_back('"');
  }
  /// A JSON literal (true, false, null) after a key.
  void plain_literal(std::string_view v) { out_.append(v); }
  void element() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void string(std::string_view s) {
    out_.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_.append("\\\""); break;
        case '\\': out_.append("\\\\"); break;
        case '\b': out_.append("\\b"); break;
        case '\f': out_.append("\\f"); break;
        case '\n': out_.append("\\n"); break;
        case '\r': out_.append("\\r"); break;
        case '\t': out_.append("\\t"); break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out_.append(u, sizeof u);
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }
  template <class Integer>
  void number(Integer v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(end - buf));
  }
  void member(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void member(std::string_view k, std::uint64_t v) {
    key(k);
    number(v);
  }
  void member_signed(std::string_view k, std::int64_t v) {  // timestamps, as Boost.JSON stores them
    key(k);
    number(v);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_quotes(Writer& w, const std::vector<Quote>& quotes, Amount amount_in, int in_dec, int out_dec) {
  w.key("quotes");
  w.open('[');
  for (const auto& q : quotes) {
    w.element();
    w.open('{');
    w.plain("dex", venue_name(q.venue));
    w.plain("amountOut", format_amount(q.amount_out, out_dec));
    w.plain("price", format_ratio(q.amount_out.base, out_dec, amount_in.base, in_dec));
    w.plain("fee", bps_fraction(q.fee_bps));
    w.plain("priceImpact", bps_fraction(q.price_impact_bps));
    w.close('}');
  }
  w.close(']');
}

// A split order's legs as routed: each venue's part and its own floor.
void write_legs(Writer& w, const std::vector<Leg>& legs, int in_dec, int out_dec) {
  w.key("legs");
  w.open('[');
  for (const auto& l : legs) {
    w.element();
    w.open('{');
    w.plain("venue", venue_name(l.venue));
    w.plain("amountIn", format_amount(l.amount_in, in_dec));
    w.plain("expectedOut", format_amount(l.expected_out, out_dec));
    w.plain("minOut", format_amount(l.min_out, out_dec));
    w.close('}');
  }
  w.close(']');
}

// What one leg came to, as an outcome records it.
void write_fill(Writer& w, Venue venue, Amount in, Amount out, std::string_view tx_id, int in_dec, int out_dec) {
  w.element();
  w.open('{');
  w.plain("venue", venue_name(venue));
  w.plain("amountIn", format_amount(in, in_dec));
  w.plain("amountOut", format_amount(out, out_dec));
  w.member("txHash", tx_id);
  w.plain("status", out.base != 0 ? "confirmed" : "failed");
  w.close('}');
}

void write_fills(Writer& w, const std::vector<LegFill>& fills, int in_dec, int out_dec) {
  w.key("legs");
  w.open('[');
  for (const auto& f : fills) write_fill(w, f.venue, f.amount_in, f.amount_out, f.tx_id, in_dec, out_dec);
  w.close(']');
}

void write_checks(Writer& w, const SniperChecks& checks, int in_dec) {
  w.key("checks");
  w.open('{');
  w.key("requireMintRenounced");
  w.plain_literal(checks.require_mint_renounced ? "true" : "false");
  w.key("requireNoFreeze");
  w.plain_literal(checks.require_no_freeze ? "true" : "false");
  w.plain("minLiquidity", format_amount(checks.min_liquidity, in_dec));
  w.close('}');
}

void write_tx_hashes(Writer& w, const TxSubmitted& e) {
  w.member("txHash", e.tx_id);
  if (e.last_valid_at.value != 0) w.member_signed("lastValidAt", e.last_valid_at.value / 1'000'000);
  if (!e.leg_tx_ids.empty()) {
    w.key("legTxHashes");
    w.open('[');
    for (const auto& id : e.leg_tx_ids) {
      w.element();
      w.string(id);
    }
    w.close(']');
  }
}

template <class T>
void write_fields(Writer& w, const T& e) {
  if constexpr (std::is_same_v<T, OrderSubmitted>) {
    w.member("attempt", std::uint64_t{0});
    w.plain("orderType", order_type_name(e.order_type));
    w.member("inputToken", e.input_token.symbol());
    w.member("outputToken", e.output_token.symbol());
    w.plain("amountIn", format_amount(e.amount_in, e.input_token.decimals()));
    w.plain("slippage", bps_fraction(e.slippage_bps));
    if (e.min_amount_out.base != 0) {
      w.plain("minAmountOut", format_amount(e.min_amount_out, e.output_token.decimals()));
    }
    if (e.expires_at.value != 0) w.member_signed("expiresAt", e.expires_at.value / 1'000'000);
    if (e.order_type == OrderType::sniper) write_checks(w, e.checks, e.input_token.decimals());
    if (e.order_type == OrderType::recurring) {
      w.member("slices", std::uint64_t{e.recurring.slices});
      w.member("interval", std::uint64_t{e.recurring.interval_s});
      if (e.recurring.min_price_e12 != 0) {
        w.plain("minPrice", format_amount(Amount{e.recurring.min_price_e12}, kPriceDecimals));
      }
      if (e.recurring.max_price_e12 != 0) {
        w.plain("maxPrice", format_amount(Amount{e.recurring.max_price_e12}, kPriceDecimals));
      }
      w.key("catchUp");
      w.plain_literal(e.recurring.catch_up ? "true" : "false");
    }
    if (e.parent) {
      char parent[OrderId::kTextSize];
      e.parent->write_text(parent);
      w.plain("parentId", std::string_view(parent, sizeof parent));
      w.member("slice", std::uint64_t{e.slice});
    }
  } else if constexpr (std::is_same_v<T, RoutingStarted>) {
    w.member("attempt", e.attempt);
  } else if constexpr (std::is_same_v<T, Routed>) {
    const int out_dec = e.output_token.decimals();
    const int in_dec = e.input_token.decimals();
    w.member("attempt", e.attempt);
    w.plain("dex", venue_name(e.venue));
    write_quotes(w, e.quotes, e.amount_in, in_dec, out_dec);
    w.plain("expectedOut", format_amount(e.expected_out, out_dec));
    w.plain("minOut", format_amount(e.min_out, out_dec));
    if (!e.legs.empty()) write_legs(w, e.legs, in_dec, out_dec);
  } else if constexpr (std::is_same_v<T, TxSubmitted>) {
    w.member("attempt", e.attempt);
    w.plain("dex", venue_name(e.venue));
    write_tx_hashes(w, e);
  } else if constexpr (std::is_same_v<T, RoutedAndSent>) {
    // One row of its own (the projection's payload): the route's fields,
    // then the transactions sent on it.
    write_fields(w, e.routed);
    write_tx_hashes(w, e.sent);
  } else if constexpr (std::is_same_v<T, Confirmed>) {
    const int out_dec = e.output_token.decimals();
    const int in_dec = e.input_token.decimals();
    w.member("attempt", e.attempt);
    w.plain("dex", venue_name(e.venue));
    w.member("txHash", e.tx_id);
    w.plain("amountOut", format_amount(e.amount_out, out_dec));
    w.plain("executedPrice", format_ratio(e.amount_out.base, out_dec, e.amount_in.base, in_dec));
    if (e.legs.empty()) {
      // One leg for an order on one venue.
      w.key("legs");
      w.open('[');
      write_fill(w, e.venue, e.amount_in, e.amount_out, e.tx_id, in_dec, out_dec);
      w.close(']');
    } else {
      write_fills(w, e.legs, in_dec, out_dec);
    }
  } else if constexpr (std::is_same_v<T, AttemptFailed>) {
    w.member("attempt", e.attempt);
    w.member("error", e.reason);
    w.member_signed("retryAt", e.retry_at.value);
  } else if constexpr (std::is_same_v<T, OrderFailed>) {
    w.member("attempt", e.attempt);
    w.member("error", e.reason);
  } else if constexpr (std::is_same_v<T, Triggered>) {
    const int out_dec = e.output_token.decimals();
    w.member("attempt", e.attempt);
    w.plain("dex", venue_name(e.venue));
    write_quotes(w, e.quotes, e.amount_in, e.input_token.decimals(), out_dec);
    w.plain("expectedOut", format_amount(e.expected_out, out_dec));
    w.plain("minAmountOut", format_amount(e.threshold, out_dec));
    w.member_signed("observedAt", e.observed_at.value);
  } else if constexpr (std::is_same_v<T, Opened> || std::is_same_v<T, Expired> ||
                       std::is_same_v<T, WatchStarted>) {
    w.member("attempt", e.attempt);
  } else if constexpr (std::is_base_of_v<Amended, T>) {
    const int out_dec = e.output_token.decimals();
    w.member("attempt", e.attempt);
    w.plain("minAmountOut", format_amount(e.min_amount_out, out_dec));
    if (e.expires_at.value != 0) w.member_signed("expiresAt", e.expires_at.value / 1'000'000);
  } else if constexpr (std::is_same_v<T, LegSettled>) {
    const int out_dec = e.output_token.decimals();
    w.member("attempt", e.attempt);
    w.member("leg", std::uint64_t{e.leg});
    w.plain("dex", venue_name(e.fill.venue));
    w.member("txHash", e.fill.tx_id);
    w.plain("amountIn", format_amount(e.fill.amount_in, e.input_token.decimals()));
    if (e.landed) {
      w.plain("amountOut", format_amount(e.fill.amount_out, out_dec));
    } else {
      w.member("error", e.reason);
    }
  } else if constexpr (std::is_same_v<T, PartiallyFilled>) {
    const int out_dec = e.output_token.decimals();
    w.member("attempt", e.attempt);
    w.member("error", e.reason);
    w.plain("amountOut", format_amount(e.amount_out, out_dec));
    write_fills(w, e.legs, e.input_token.decimals(), out_dec);
  } else if constexpr (std::is_same_v<T, RecurringStarted>) {
    w.member("attempt", std::uint64_t{0});
    w.member_signed("firstDue", e.first_due.value / 1'000'000);
  } else if constexpr (std::is_same_v<T, SliceStarted>) {
    char child[OrderId::kTextSize];
    e.child.write_text(child);
    w.member("attempt", std::uint64_t{0});
    w.member("slice", std::uint64_t{e.slice});
    w.plain("childId", std::string_view(child, sizeof child));
    w.plain("amountIn", format_amount(e.amount_in, e.input_token.decimals()));
    w.member_signed("dueAt", e.due_at.value / 1'000'000);
  } else if constexpr (std::is_same_v<T, SliceSkipped>) {
    const int in_dec = e.input_token.decimals();
    const int out_dec = e.output_token.decimals();
    w.member("attempt", std::uint64_t{0});
    w.member("slice", std::uint64_t{e.slice});
    w.plain("amountIn", format_amount(e.amount_in, in_dec));
    w.member_signed("dueAt", e.due_at.value / 1'000'000);
    w.plain("dex", venue_name(e.venue));
    w.plain("expectedOut", format_amount(e.expected_out, out_dec));
    w.plain("price", format_ratio(e.expected_out.base, out_dec, e.amount_in.base, in_dec));
    w.member("reason", e.reason);
  } else if constexpr (std::is_same_v<T, RecurringCompleted>) {
    const int in_dec = e.input_token.decimals();
    const int out_dec = e.output_token.decimals();
    w.member("attempt", std::uint64_t{0});
    w.member("done", std::uint64_t{e.done});
    w.member("skipped", std::uint64_t{e.skipped});
    w.plain("spent", format_amount(e.spent, in_dec));
    w.plain("received", format_amount(e.received, out_dec));
  } else if constexpr (std::is_same_v<T, LaunchRejected>) {
    w.member("attempt", e.attempt);
    w.plain("dex", venue_name(e.venue));
    w.member("launch", e.launch);
    w.member("reason", e.reason);
  } else {
    static_assert(std::is_same_v<T, OrderRetried> || std::is_same_v<T, DeadLetterDismissed> ||
                  std::is_same_v<T, Reopened> || std::is_same_v<T, Cancelled>);
    w.member("attempt", e.attempt);
    w.member("reason", e.reason);
  }
}

// The head and fields of one status message: `e` is the record's event, or
// one of the events a routedAndSent stands for.
template <class T>
void write_message(std::string& out, const eventlog::Record& record, const T& e, StatusJsonHead head) {
  const EventType type = event_type_of<T>();
  const Status status = status_after(type);
  Writer w(out);
  w.open('{');
  char order_text[OrderId::kTextSize];
  if (head != StatusJsonHead::fields) record.order.write_text(order_text);
  const std::string_view order(order_text, sizeof order_text);
  switch (head) {
    case StatusJsonHead::message:
      w.plain("orderId", order);
      w.member("seq", record.seq.value);
      if (record.partition) w.member("partition", record.partition->value);
      w.member_signed("ts", record.ts.value);
      break;
    case StatusJsonHead::log_line:
      w.member("seq", record.seq.value);
      if (record.partition) w.member("partition", record.partition->value);
      w.member_signed("ts", record.ts.value);
      w.plain("orderId", order);
      w.plain("type", event_name(static_cast<EventType>(record.type)));
      break;
    case StatusJsonHead::fields:
      break;
  }
  if (head != StatusJsonHead::fields) {
    w.plain("event", event_name(type));
    w.plain("status", status_name(status));
  }
  write_fields(w, e);
  if (is_terminal(status)) {
    w.key("terminal");
    out.append("true");
  }
  w.close('}');
}

}  // namespace

std::uint8_t message_rank(EventType event) {
  switch (event) {
    case EventType::routed: return 1;
    case EventType::tx_submitted: return 2;
    default: return 0;
  }
}

std::size_t message_count(const OrderEvent& event) {
  if (const auto* both = std::get_if<RoutedAndSent>(&event)) return both->starts_attempt ? 3 : 2;
  return 1;
}

std::uint8_t message_rank(const OrderEvent& event, std::size_t step) {
  if (const auto* both = std::get_if<RoutedAndSent>(&event)) {
    return static_cast<std::uint8_t>(both->starts_attempt ? step : step + 1);
  }
  return message_rank(type_of(event));
}

void append_status_json(std::string& out, const eventlog::Record& record, const OrderEvent& event,
                        StatusJsonHead head, std::size_t step) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, RoutedAndSent>) {
          if (head == StatusJsonHead::fields) {
            write_message(out, record, e, head);
            return;
          }
          // The statuses it stands for, each as the event that led to it.
          switch (message_rank(event, step)) {
            case 0: write_message(out, record, RoutingStarted{e.routed.attempt}, head); break;
            case 1: write_message(out, record, e.routed, head); break;
            default: write_message(out, record, e.sent, head); break;
          }
        } else {
          write_message(out, record, e, head);
        }
      },
      event);
}

bool append_status_json(std::string& out, const eventlog::Record& record, StatusJsonHead head, char separator) {
  auto event = decode_event(record.type, record.payload);
  if (!event) return false;
  const std::size_t n = head == StatusJsonHead::fields ? 1 : message_count(*event);
  for (std::size_t step = 0; step < n; ++step) {
    if (step != 0) out.push_back(separator);
    append_status_json(out, record, *event, head, step);
  }
  return true;
}

}  // namespace oee::core
