#include "eventlog/jetstream/detail/owner_read_pages.h"

#include <algorithm>

#include "eventlog/jetstream/detail/owner_read_wire.h"

namespace oee::eventlog::jetstream::detail {

using namespace owner_read_wire;

namespace {

OrderId id_at(std::string_view bytes) {
  OrderId::Bytes raw{};
  std::copy_n(bytes.data(), raw.size(), reinterpret_cast<char*>(raw.data()));
  return OrderId(raw);
}

}  // namespace

std::string members_page(std::vector<OrderId> ids, const std::optional<OrderId>& after, std::size_t max,
                         std::size_t page) {
  // By id, so that the next page goes on after this one's last.
  std::sort(ids.begin(), ids.end());
  auto from = after ? std::upper_bound(ids.begin(), ids.end(), *after) : ids.begin();
  const auto count = std::min({static_cast<std::size_t>(ids.end() - from), max, page});
  std::string out(kMembers);
  out.reserve(out.size() + count * sizeof(OrderId::Bytes));
  for (const auto end = from + static_cast<std::ptrdiff_t>(count); from != end; ++from) out.append(from->view());
  return out;
}

Result<std::string> snapshots_page(std::string_view data, const SnapshotOf& snapshot_of, std::size_t page_bytes) {
  std::string out(kSnapshots);
  std::string entry;
  for (bool first = true; !data.empty(); data.remove_prefix(sizeof(OrderId::Bytes)), first = false) {
    auto snap = snapshot_of(id_at(data));
    if (!snap) return snap.error();
    entry.clear();
    if (!*snap) {
      entry.push_back(0);
    } else {
      entry.push_back(1);
      put_be64(entry, (*snap)->last_seq.value);
      put_be32(entry, static_cast<std::uint32_t>((*snap)->snapshot.size()));
      entry += (*snap)->snapshot;
    }
    if (!first && out.size() + entry.size() > page_bytes) break;  // the asker asks again for the rest
    out += entry;
  }
  return out;
}

Result<std::vector<OrderId>> read_members(const AskOwner& ask, OrderSet set, std::size_t max, std::size_t page) {
  std::vector<OrderId> out;
  std::optional<OrderId> after;
  while (out.size() < max) {
    const std::size_t asked = std::min(max - out.size(), page);
    Headers headers{{"Oee-Set", std::to_string(static_cast<unsigned>(set))}, {"Oee-Max", std::to_string(asked)}};
    if (after) headers.emplace_back("Oee-After", after->str());
    auto answer = ask({}, std::move(headers));
    if (!answer) return answer.error();
    std::string_view text = *answer;
    if (!text.starts_with(kMembers)) return make_error_code(Errc::corrupted);
    text.remove_prefix(kMembers.size());
    const std::size_t got = text.size() / sizeof(OrderId::Bytes);
    if (text.size() % sizeof(OrderId::Bytes) != 0 || got > asked) return make_error_code(Errc::corrupted);
    for (; !text.empty(); text.remove_prefix(sizeof(OrderId::Bytes))) {
      const OrderId id = id_at(text);
      if (!out.empty() && !(out.back() < id)) return make_error_code(Errc::corrupted);  // pages go by id
      out.push_back(id);
    }
    if (got < asked) break;  // the last page
    after = out.back();
  }
  return out;
}

Result<std::vector<std::optional<OrderSnapshotEntry>>> read_snapshots(const AskOwner& ask,
                                                                     std::span<const OrderId> orders,
                                                                     std::size_t per_ask) {
  std::vector<std::optional<OrderSnapshotEntry>> out;
  out.reserve(orders.size());
  while (out.size() < orders.size()) {
    const auto asked = orders.subspan(out.size(), std::min(orders.size() - out.size(), per_ask));
    std::string data;
    data.reserve(asked.size() * sizeof(OrderId::Bytes));
    for (const auto& id : asked) data.append(id.view());
    auto answer = ask(std::move(data), {});
    if (!answer) return answer.error();
    std::string_view text = *answer;
    if (!text.starts_with(kSnapshots)) return make_error_code(Errc::corrupted);
    text.remove_prefix(kSnapshots.size());
    std::size_t got = 0;
    for (; !text.empty(); ++got) {
      if (got == asked.size()) return make_error_code(Errc::corrupted);
      const char kind = text.front();
      text.remove_prefix(1);
      if (kind == 0) {
        out.emplace_back();
        continue;
      }
      const auto last = take_be64(text);
      const auto size = take_be32(text);
      if (kind != 1 || !last || !size || *size > text.size()) return make_error_code(Errc::corrupted);
      out.emplace_back(OrderSnapshotEntry{Seq{*last}, std::string(text.substr(0, *size))});
      text.remove_prefix(*size);
    }
    if (got == 0) return make_error_code(Errc::corrupted);  // an owner answers at least one
  }
  return out;
}

}  // namespace oee::eventlog::jetstream::detail
