#include "api/auth/key_log.h"

#include <limits>
#include <memory>
#include <span>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/wire/key_codec.h"

namespace oee::api {

namespace asio = boost::asio;

eventlog::Result<std::size_t> load_keys(const eventlog::EventLogReader& log, KeyRing& ring) {
  auto ids = log.members(eventlog::OrderSet::api_keys, std::numeric_limits<std::size_t>::max());
  if (!ids) return ids.error();
  for (const auto& id : *ids) {
    auto records = log.read_order(id);
    if (!records) return records.error();
    for (const auto& r : *records) {
      if (auto event = core::decode_key_event(r.type, r.payload)) ring.apply(id, r.ts, *event);
    }
  }
  return ids->size();
}

eventlog::CommitSubscription follow_keys(eventlog::EventLogWriter& log, KeyRing& ring) {
  return log.on_commit([&ring](std::span<const eventlog::Record> records) {
    for (const auto& r : records) {
      if (auto event = core::decode_key_event(r.type, r.payload)) ring.apply(r.order, r.ts, *event);
    }
  });
}

namespace {
struct PendingKeyAppend {
  eventlog::EventLogWriter& log;
  core::KeyId id;
  core::KeyEvent event;
};
}  // namespace

// The arguments travel in one heap object, the initiation carries only its
// pointer: [gcc12-coro].
asio::awaitable<eventlog::Result<eventlog::AppendOutcome>> append_key_event(eventlog::EventLogWriter& log,
                                                                            const core::KeyId& id,
                                                                            const core::KeyEvent& event) {
  auto* pending = new PendingKeyAppend{log, id, event};
  auto initiation = [pending](auto handler) {
    std::unique_ptr<PendingKeyAppend> owned(pending);
    eventlog::AppendCommand command;
    command.order = owned->id;
    command.type = static_cast<std::uint8_t>(core::type_of(owned->event));
    command.payload = core::encode_key_event(owned->event);
    command.set_membership.emplace_back(eventlog::OrderSet::api_keys, true);
    command.finishes = true;  // a key holds no state in the log's memory: its record lists its events
    auto ex = asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    owned->log.append(std::move(command), [shared, ex](eventlog::Result<eventlog::AppendOutcome> r) {
      asio::post(ex, [shared, r = std::move(r)]() mutable { std::move(*shared)(std::move(r)); });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(eventlog::Result<eventlog::AppendOutcome>)>(
      initiation, asio::use_awaitable);
}

}  // namespace oee::api
