#pragma once
// Reads of many orders asked of a partition's owner, a page per request
// (owner_read_wire.h): the owner's answer to one page, and the asker's
// loop that asks page after page until it has read all it asked for.
// Pure functions of what they are given, so that their paging can be
// tested without a cluster.

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

using Headers = std::vector<std::pair<std::string, std::string>>;
/// One request to the owner: its data and headers; the answer's text.
using AskOwner = std::function<Result<std::string>(std::string data, Headers headers)>;
using SnapshotOf = std::function<Result<std::optional<OrderSnapshotEntry>>(const OrderId&)>;

/// The owner's page of a set's members: `ids` (all of them, any order)
/// sorted, those after `after`, at most min(max, page) of them.
[[nodiscard]] std::string members_page(std::vector<OrderId> ids, const std::optional<OrderId>& after,
                                       std::size_t max, std::size_t page);
/// The owner's page of snapshots of the orders in `data` (16 bytes each),
/// in order, stopping before `page_bytes`, after at least one.
[[nodiscard]] Result<std::string> snapshots_page(std::string_view data, const SnapshotOf& snapshot_of,
                                                 std::size_t page_bytes);

/// Up to `max` members of `set`, by id, asking `page` at a time.
[[nodiscard]] Result<std::vector<OrderId>> read_members(const AskOwner& ask, OrderSet set, std::size_t max,
                                                        std::size_t page);
/// The orders' snapshots, in order, asking for `per_ask` at a time and
/// again for what a page left out.
[[nodiscard]] Result<std::vector<std::optional<OrderSnapshotEntry>>> read_snapshots(
    const AskOwner& ask, std::span<const OrderId> orders, std::size_t per_ask);

}  // namespace oee::eventlog::jetstream::detail
