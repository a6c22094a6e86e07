// Following and reading a stream: ordered consumers (connection.h); on a
// read-only connection, message gets (detail/message_get_reader.h).
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/message_get_reader.h"
#include "eventlog/jetstream/detail/nats_support.h"

namespace oee::eventlog::jetstream {

using namespace detail;

struct Subscription::Impl {
  natsSubscription* sub = nullptr;
  std::unique_ptr<MessageGetReader> gets;  // a read-only connection's, instead
  ~Impl() {
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
  }
};

Subscription::Subscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Subscription::~Subscription() = default;

Result<std::optional<StoredMessage>> Subscription::next(std::chrono::milliseconds timeout) {
  if (impl_->gets) return impl_->gets->next(timeout, pending_);
  for (;;) {
    natsMsg* raw = nullptr;
    const auto s = natsSubscription_NextMsg(&raw, impl_->sub, timeout.count());
    MsgPtr msg(raw);
    if (s == NATS_TIMEOUT) return std::optional<StoredMessage>{};
    if (s != NATS_OK) return failure(s, jsErrCode{}, false);
    // Heartbeats and flow control are handled inside libnats; anything
    // else without stream metadata is not an event.
    auto m = delivered(raw, pending_);
    if (m) return std::optional<StoredMessage>(std::move(*m));
  }
}

Result<std::unique_ptr<Subscription>> Connection::follow(std::string_view stream, std::string_view filter, Seq from) {
  const std::string name(stream);
  const std::string subject(filter);
  auto impl = std::make_unique<Subscription::Impl>();
  if (impl_->options.read_only) {
    impl->gets = std::make_unique<MessageGetReader>(*this, name, subject, from, impl_->options.request_timeout);
    return std::unique_ptr<Subscription>(new Subscription(std::move(impl)));
  }
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = name.c_str();
  options.Ordered = true;
  options.Config.DeliverPolicy = from.value <= 1 ? js_DeliverAll : js_DeliverByStartSequence;
  if (from.value > 1) options.Config.OptStartSeq = from.value;
  jsErrCode code{};
  if (const auto s = js_SubscribeSync(&impl->sub, impl_->js, subject.c_str(), nullptr, &options, &code); s != NATS_OK)
    return failure(s, code, false);
  return std::unique_ptr<Subscription>(new Subscription(std::move(impl)));
}

Result<std::vector<StoredMessage>> Connection::read(std::string_view stream, std::string_view filter, Seq from,
                                                    std::size_t max) {
  std::vector<StoredMessage> out;
  if (max == 0) return out;
  if (filter.find_first_of("*>") == std::string_view::npos) {
    // One subject (an order's events, a checkpoint): a few messages, each
    // asked of the stream's leader, with no consumer to make and delete.
    for (Seq at = std::max(from, Seq{1}); out.size() < max;) {
      auto m = next_on_subject(stream, filter, at);
      if (!m) return m.error();
      if (!*m) break;
      at = (*m)->seq.next();
      out.push_back(std::move(**m));
    }
    return out;
  }
  auto state = stream_state(stream);
  if (!state) return state.error();
  if (state->last < from || state->messages == 0) return out;
  auto sub = follow(stream, filter, from);
  if (!sub) return sub.error();
  while (out.size() < max) {
    auto m = (*sub)->next(impl_->options.request_timeout);
    if (!m) return m.error();
    if (!*m) return std::error_code(JsErrc::timeout);
    const bool last = (*sub)->pending() == 0 || (*m)->seq >= state->last;
    out.push_back(std::move(**m));
    if (last) break;
  }
  return out;
}

}  // namespace oee::eventlog::jetstream
