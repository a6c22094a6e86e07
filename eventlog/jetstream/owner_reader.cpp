#include "eventlog/jetstream/detail/owner_reader.h"

#include <spdlog/spdlog.h>

#include "eventlog/detail/order_index.h"
#include "eventlog/jetstream/detail/owner_read_pages.h"
#include "eventlog/jetstream/detail/owner_read_wire.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace owner_read_wire;

void OwnerReader::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

Result<std::string> OwnerReader::ask(std::string_view what, std::string data,
                                     std::vector<std::pair<std::string, std::string>> headers, Patience p) const {
  const auto deadline = Clock::now() + p.total;
  Publish ask;
  ask.subject = read_subject(partition_);
  ask.data = data;
  ask.headers = std::move(headers);
  ask.headers.emplace_back("Oee-Read", std::string(what));
  std::error_code last = make_error_code(Errc::no_owner);
  for (;;) {
    bool unowned = false;
    auto answers = connection_.request_all(std::span(&ask, 1), std::min(kOwnerWait, left(deadline)));
    auto& answer = answers.front();
    if (answer) {
      const std::string_view text = *answer;
      if (text.starts_with(kError)) {
        spdlog::warn("partition {}: the owner could not read what was asked: {}", partition_,
                     text.substr(kError.size()));
        return make_error_code(Errc::unavailable);
      }
      if (text.starts_with(kRefusedRead)) return std::make_error_code(std::errc::invalid_argument);
      if (text != kUnowned) return std::move(*answer);
      last = make_error_code(Errc::no_owner);  // it has just lost the partition: its successor is asked
      unowned = true;
    } else if (answer.error() == JsErrc::not_connected) {
      return make_error_code(Errc::unavailable);
    } else if (answer.error() == JsErrc::timeout) {
      last = std::make_error_code(std::errc::timed_out);  // an owner paused or gone
    } else if (answer.error() == JsErrc::not_found) {
      last = make_error_code(Errc::no_owner);  // nobody serves the partition: a failover
    } else {
      return answer.error();
    }
    if (left(deadline) < kShortestAsk) return last;
    std::unique_lock lock(mu_);
    const auto pause = unowned ? p.after_unowned : kOwnerPoll;
    if (cv_.wait_for(lock, std::min(pause, left(deadline) - kShortestAsk), [&] { return stopping_; }))
      return make_error_code(Errc::closed);
  }
}

Result<std::optional<std::pair<IndexedOrder, bool>>> OwnerReader::record(const OrderId& order, Patience p) const {
  auto answer = ask("order", order.str(), {}, p);
  if (!answer) return answer.error();
  const std::string_view text = *answer;
  if (text == kNone) return std::optional<std::pair<IndexedOrder, bool>>{};
  const bool open = text.starts_with(kOpen);
  if (!open && !text.starts_with(kFinished)) return make_error_code(Errc::corrupted);
  auto record = ::oee::eventlog::detail::decode_order_record(order, text.substr(open ? kOpen.size() : kFinished.size()));
  if (!record) return record.error();
  return std::optional<std::pair<IndexedOrder, bool>>(std::make_pair(std::move(*record), open));
}

Result<std::vector<Record>> OwnerReader::events(const OrderId& order, Seq from, Patience p) const {
  auto answer = ask("events", order.str(), {{"Oee-From", std::to_string(from.value)}}, p);
  if (!answer) return answer.error();
  std::string_view text = *answer;
  if (!text.starts_with(kEvents)) return make_error_code(Errc::corrupted);
  text.remove_prefix(kEvents.size());
  std::vector<Record> out;
  while (!text.empty()) {
    const auto size = take_be32(text);
    if (!size || *size > text.size()) return make_error_code(Errc::corrupted);
    auto record = decode_record(text.substr(0, *size));
    if (!record) return record.error();
    out.push_back(std::move(*record));
    text.remove_prefix(*size);
  }
  return out;
}

Result<std::vector<OrderId>> OwnerReader::members(OrderSet set, std::size_t max, Patience p) const {
  return read_members([&](std::string data, Headers headers) { return ask("members", std::move(data), std::move(headers), p); },
                      set, max, kMembersPage);
}

Result<std::vector<std::optional<OrderSnapshotEntry>>> OwnerReader::snapshots(std::span<const OrderId> orders,
                                                                               Patience p) const {
  return read_snapshots(
      [&](std::string data, Headers headers) { return ask("snapshots", std::move(data), std::move(headers), p); },
      orders, kSnapshotsPerAsk);
}

std::optional<Seq> OwnerReader::head() const {
  Publish ask;
  ask.subject = read_subject(partition_);
  ask.headers = {{"Oee-Read", "head"}};
  auto answers = connection_.request_all(std::span(&ask, 1), kOwnerWait);
  if (!answers.front()) return std::nullopt;
  const std::string_view text = *answers.front();
  if (!text.starts_with(kHead)) return std::nullopt;  // unowned: nobody to ask now
  const auto head = number(text.substr(kHead.size()));
  if (!head) return std::nullopt;
  return Seq{*head};
}

}  // namespace oee::eventlog::jetstream::detail
