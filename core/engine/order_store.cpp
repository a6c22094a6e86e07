#include "core/engine/order_store.h"

#include <stdexcept>

#include "core/domain/sim_clock.h"
#include "core/wire/event_codec.h"

namespace oee::core {

OrderStore::Prepared OrderStore::prepare(const OrderId& id, const OrderState& current, OrderEvent event,
                                         std::optional<eventlog::IdempotencyClaim> claim) {
  const TimestampNs now = sim_now();
  auto next = apply(current, event, now);
  if (!next) {
    throw std::logic_error("order " + id.str() + ": " + std::string(event_name(type_of(event))) + " in status " +
                           std::string(status_name(current.status)) + ": " + std::string(describe(next.error())));
  }
  Prepared p;
  auto& cmd = p.command;
  cmd.order = id;
  cmd.ts = now;
  cmd.type = static_cast<std::uint8_t>(type_of(event));
  cmd.payload = encode_event(event);
  cmd.snapshot = encode_snapshot(*next);
  cmd.finishes = is_terminal(next->status);
  cmd.begins = current.status == Status::none;
  if (is_dead_letter(*next) != is_dead_letter(current)) {
    cmd.set_membership.emplace_back(eventlog::OrderSet::dead_letter, is_dead_letter(*next));
  }
  cmd.idempotency = std::move(claim);
  p.next = std::move(*next);
  return p;
}

OrderState OrderStore::append(const OrderId& id, const OrderState& current, OrderEvent event,
                              std::optional<eventlog::IdempotencyClaim> claim,
                              std::function<void(eventlog::Result<AppendedEvent>)> done) {
  return queue(prepare(id, current, std::move(event), std::move(claim)), std::move(done));
}

OrderState OrderStore::append_on(const OrderId& id, const OrderState& current, Seq basis, OrderEvent event,
                                 std::function<void(eventlog::Result<AppendedEvent>)> done) {
  auto p = prepare(id, current, std::move(event), std::nullopt);
  p.command.basis = basis;
  return queue(std::move(p), std::move(done));
}

OrderState OrderStore::queue(Prepared p, std::function<void(eventlog::Result<AppendedEvent>)> done) {
  log_.append(std::move(p.command), [state = p.next, done = std::move(done)](
                                        eventlog::Result<eventlog::AppendOutcome> r) mutable {
    if (!r) {
      done(r.error());
      return;
    }
    done(AppendedEvent{r->seq, r->ts, std::move(state), std::move(r->existing)});
  });
  return std::move(p.next);
}

namespace {

eventlog::Result<std::optional<OrderSnapshot>> decoded(const OrderId& id,
                                                       std::optional<eventlog::OrderSnapshotEntry> entry) {
  if (!entry) return std::optional<OrderSnapshot>{};
  auto state = decode_snapshot(entry->snapshot);
  if (!state) return make_error_code(eventlog::Errc::corrupted);
  return std::optional<OrderSnapshot>{OrderSnapshot{id, std::move(*state), entry->last_seq}};
}

}  // namespace

eventlog::Result<std::optional<OrderSnapshot>> OrderStore::load(const OrderId& id) const {
  auto entry = log_.snapshot(id);
  if (!entry) return entry.error();
  return decoded(id, std::move(*entry));
}

eventlog::Result<std::vector<std::optional<OrderSnapshot>>> OrderStore::load_all(PartitionId p,
                                                                              std::span<const OrderId> ids) const {
  auto entries = log_.partition(p).snapshots(ids);
  if (!entries) return entries.error();
  std::vector<std::optional<OrderSnapshot>> out;
  out.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto one = decoded(ids[i], std::move((*entries)[i]));
    if (!one) return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

eventlog::Result<std::vector<OrderSnapshot>> OrderStore::load_set(eventlog::OrderSet set, std::size_t max) const {
  std::vector<OrderSnapshot> out;
  for (const PartitionId p : each_partition(log_.partition_count())) {
    if (out.size() >= max) break;
    auto ids = log_.partition(p).members(set, max - out.size());
    if (!ids) return ids.error();
    auto loaded = load_all(p, *ids);
    if (!loaded) return loaded.error();
    for (auto& one : *loaded)
      if (one) out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace oee::core
