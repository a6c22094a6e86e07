// Messages read from the stream's leader with its message-get API: a
// subject's one by one (next_by_subj), for an ordered consumer would cost
// the cluster a consumer made and deleted through its metadata leader for
// every read of one order's few events; and a read-only connection's
// following of a stream (detail/message_get_reader.h).
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <boost/json.hpp>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/message_get_reader.h"
#include "eventlog/jetstream/detail/nats_support.h"

namespace oee::eventlog::jetstream {

using namespace detail;

namespace {

constexpr int kNoMessageFound = 10037;  // JSNoMessageFoundErr
constexpr int kStreamNotFound = 10059;  // JSStreamNotFoundErr

std::optional<std::string> from_base64(std::string_view text) {
  if (text.empty()) return std::string{};
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && padding < 2; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

/// "NATS/1.0\r\nKey: value\r\n…\r\n\r\n" as (key, value) pairs.
std::vector<std::pair<std::string, std::string>> headers_of(std::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  bool status_line = true;
  while (!block.empty()) {
    const auto end = block.find("\r\n");
    const auto line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 2);
    if (status_line) {
      status_line = false;
      continue;
    }
    const auto colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return out;
}

/// RFC 3339 in UTC as the server writes it: 2026-11-27T09:53:21.414177332Z.
std::optional<TimestampNs> time_of(std::string_view text) {
  const auto number = [&](std::size_t at, std::size_t digits) -> std::optional<int> {
    int v = 0;
    if (at + digits > text.size()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + digits, v);
    if (ec != std::errc{} || end != text.data() + at + digits) return std::nullopt;
    return v;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::int64_t nanos = 0;
  if (text.size() > 19 && text[19] == '.') {
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, scale /= 10)
      nanos += (text[i] - '0') * scale;
  }
  using namespace std::chrono;
  const sys_days date = year_month_day{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                       std::chrono::day{static_cast<unsigned>(*day)}};
  const auto at = date + hours{*hour} + minutes{*minute} + seconds{*second};
  return TimestampNs{duration_cast<nanoseconds>(at.time_since_epoch()).count() + nanos};
}

}  // namespace

/// {"message":{"subject","seq","hdrs","data","time"}} or {"error":{…}}.
Result<std::optional<StoredMessage>> detail::message_of(std::string_view answer) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(answer, ec);
  if (ec || !parsed.is_object()) return std::error_code(JsErrc::server_error);
  const auto& o = parsed.get_object();
  if (const auto* error = o.if_contains("error")) {
    const auto* code = error->is_object() ? error->get_object().if_contains("err_code") : nullptr;
    const auto err = code != nullptr && code->is_int64() ? code->get_int64() : 0;
    if (err == kNoMessageFound) return std::optional<StoredMessage>{};
    if (err == kStreamNotFound) return std::error_code(JsErrc::not_found);
    return std::error_code(JsErrc::server_error);
  }
  const auto* message = o.if_contains("message");
  if (message == nullptr || !message->is_object()) return std::error_code(JsErrc::server_error);
  const auto& m = message->get_object();
  const auto text = [&](const char* key) -> std::string_view {
    const auto* v = m.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
  };
  const auto* seq = m.if_contains("seq");
  if (seq == nullptr || !seq->is_int64() || seq->get_int64() <= 0) return std::error_code(JsErrc::server_error);
  auto data = from_base64(text("data"));
  auto headers = from_base64(text("hdrs"));
  const auto ts = time_of(text("time"));
  if (!data || !headers || !ts) return std::error_code(JsErrc::server_error);
  StoredMessage out;
  out.seq = Seq{static_cast<std::uint64_t>(seq->get_int64())};
  out.subject = std::string(text("subject"));
  out.data = std::move(*data);
  out.ts = *ts;
  out.headers = headers_of(*headers);
  return std::optional<StoredMessage>(std::move(out));
}


Result<std::optional<StoredMessage>> Connection::next_on_subject(std::string_view stream, std::string_view subject,
                                                                 Seq from) {
  boost::json::object request;
  request["seq"] = std::max<std::uint64_t>(from.value, 1);
  request["next_by_subj"] = subject;
  const auto body = boost::json::serialize(request);
  Publish ask;
  ask.subject = "$JS.API.STREAM.MSG.GET." + std::string(stream);
  ask.data = body;
  auto answers = request_all(std::span<const Publish>(&ask, 1), impl_->options.request_timeout);
  auto& answer = answers.front();
  if (!answer) {
    // Nobody answered: no server, or the stream has no leader right now.
    if (answer.error() == JsErrc::not_found || answer.error() == JsErrc::timeout)
      return std::error_code(JsErrc::not_connected);
    return answer.error();
  }
  return message_of(*answer);
}

namespace detail {

bool subject_matches(std::string_view filter, std::string_view subject) {
  for (;;) {
    const auto f_end = filter.find('.');
    const auto s_end = subject.find('.');
    const auto f = filter.substr(0, f_end);
    const auto t = subject.substr(0, s_end);
    if (f == ">") return !t.empty();
    if (t.empty() || (f != "*" && f != t)) return false;
    if (f_end == std::string_view::npos || s_end == std::string_view::npos)
      return f_end == std::string_view::npos && s_end == std::string_view::npos;
    filter.remove_prefix(f_end + 1);
    subject.remove_prefix(s_end + 1);
  }
}

namespace {

/// Messages asked for together, at most.
constexpr std::uint64_t kGetWindow = 128;
/// At the stream's end, how often it is asked whether more came.
constexpr std::chrono::milliseconds kEndPoll{100};

}  // namespace

MessageGetReader::MessageGetReader(Connection& connection, std::string stream, std::string filter, Seq from,
                                   std::chrono::milliseconds request_timeout)
    : connection_(connection),
      stream_(std::move(stream)),
      filter_(std::move(filter)),
      request_timeout_(request_timeout),
      next_(std::max(from, Seq{1})) {}

Result<std::optional<StoredMessage>> MessageGetReader::next(std::chrono::milliseconds timeout,
                                                            std::uint64_t& pending) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!ready_.empty()) {
      auto m = std::move(ready_.front());
      ready_.pop_front();
      // As a consumer's count, those the filter matches: 0 only if no more
      // up to the end as last asked (a read stops there), so looked ahead.
      std::error_code ahead;
      while (ready_.empty() && next_ <= last_ && !ahead) ahead = fetch();
      pending = ready_.size() + (next_ <= last_ ? last_.value - next_.value + 1 : 0) + (ahead ? 1 : 0);
      return std::optional<StoredMessage>(std::move(m));
    }
    if (next_ <= last_) {
      if (const auto ec = fetch()) return ec;
      continue;
    }
    auto state = connection_.stream_state(stream_);
    if (!state) return state.error();
    next_ = std::max(next_, state->first);  // what was purged is not asked for
    last_ = state->last;
    if (next_ <= last_) continue;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::optional<StoredMessage>{};
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kEndPoll, deadline - now));
  }
}

std::error_code MessageGetReader::fetch() {
  const auto count = std::min<std::uint64_t>(kGetWindow, last_.value - next_.value + 1);
  std::vector<std::string> bodies;
  std::vector<Publish> asks(count);
  bodies.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    bodies.push_back(fmt::format(R"({{"seq":{}}})", next_.value + i));
    asks[i].subject = "$JS.API.STREAM.MSG.GET." + stream_;
    asks[i].data = bodies.back();
  }
  auto answers = connection_.request_all(asks, request_timeout_);
  for (auto& answer : answers) {
    if (!answer) {
      if (answer.error() == JsErrc::not_found || answer.error() == JsErrc::timeout)
        return std::error_code(JsErrc::not_connected);
      return answer.error();
    }
    auto m = message_of(*answer);
    if (!m) return m.error();
    next_ = next_.next();
    // Nothing there: removed (a key-value bucket keeps a key's last value).
    if (*m && subject_matches(filter_, (*m)->subject)) ready_.push_back(std::move(**m));
  }
  return {};
}

}  // namespace detail

}  // namespace oee::eventlog::jetstream
