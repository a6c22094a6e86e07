// Operation fuzzer for the log contract (eventlog/event_log.h), run against
// each backend (a typed fixture, one suite per backend): the embedded
// RocksDB log, and one partition of the cluster log on a real 3-server NATS
// JetStream cluster, written through its owner's writer. Checked against a
// simple in-memory model after every operation.
//
// Operations: single appends, pipelined bursts (appends and cursor stores
// queued without waiting), concurrent appends from 2-4 threads (group
// commit) with a concurrent reader, read / read_order / snapshot / members /
// finished_record queries, cursor stores, and reopening the log (RocksDB:
// from its directory, with or without close(); a partition: from its
// stream, taken over again). Orders finish and are taken up again; the log
// checkpoints every few events (per seed), so a reopened log rebuilds its
// order index from a checkpoint and the fold of the events after it
// (fold_payload). Commit listeners and stats are checked against the model
// too. What one backend does differently is its fuzz backend's to say:
// - RocksDB takes an idempotency claim with any event and any cursor name;
//   it also closes and opens read-only secondaries, which are checked.
// - A partition takes claims as the engine makes them (a keyed order's
//   first event; its id is the key's), cursor names as NATS keys allow,
//   and refuses a write decided on an order that moved on meanwhile
//   (JsErrc::conflict: two writes of one order in flight), storing nothing.
//
// Every seed is a test of its own (Seeds/LogFuzzRocksDb.RandomOpsMatchTheModel/seed_N_...,
// Seeds/LogFuzzJetStreamPartition...), stops at its first divergence and
// prints its recent operations. Run a seed of your choice with
// OEE_FUZZ_SEED=<n> [OEE_FUZZ_OPS=<ops>] [OEE_FUZZ_SYNC=1].
// EventLogFuzzFindings.* are minimal reproductions of what the fuzzer found.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "eventlog/event_log.h"
#include "eventlog/jetstream/errors.h"
#include "eventlog/rocksdb/rocksdb_log.h"
#include "log_futures.h"
#include "owned_partition.h"

namespace oee::eventlog {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr auto kOperationDeadline = 30s;
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
constexpr std::uint64_t kMaxSeq = std::numeric_limits<std::uint64_t>::max();

using oee::testing::append_future;
using oee::testing::await_result;
using oee::testing::cursor_future;

std::string hex(std::string_view s, std::size_t limit = 24) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  if (s.size() > limit) out += "..";
  return out + " (" + std::to_string(s.size()) + "B)";
}

std::string describe(const Record& r) {
  std::ostringstream o;
  o << "{seq " << r.seq.value << ", order " << r.order.str() << ", ts " << r.ts.value << ", type "
    << static_cast<int>(r.type) << ", payload " << hex(r.payload) << "}";
  return o.str();
}

std::string describe(const std::vector<OrderId>& ids) {
  std::string s = "[";
  for (const auto& id : ids) s += (s.size() > 1 ? ", " : "") + id.str();
  return s + "]";
}

bool same(const Record& a, const Record& b) {
  return a.seq == b.seq && a.order == b.order && a.ts == b.ts && a.type == b.type && a.payload == b.payload;
}

::testing::AssertionResult same_records(const std::vector<Record>& actual, const std::vector<Record>& expected) {
  for (std::size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    if (!same(actual[i], expected[i])) {
      return ::testing::AssertionFailure() << "record " << i << " of " << actual.size() << " (expected "
                                           << expected.size() << ") differs:\n  actual   " << describe(actual[i])
                                           << "\n  expected " << describe(expected[i]);
    }
  }
  if (actual.size() != expected.size()) {
    auto f = ::testing::AssertionFailure() << "got " << actual.size() << " records, expected " << expected.size();
    if (actual.size() > expected.size()) f << "; first extra: " << describe(actual[expected.size()]);
    else f << "; first missing: " << describe(expected[actual.size()]);
    return f;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_records(const Result<std::vector<Record>>& actual,
                                        const std::vector<Record>& expected) {
  if (!actual) return ::testing::AssertionFailure() << "error: " << actual.error().message();
  return same_records(*actual, expected);
}

// A command's payload says what it did, so a log that replays the event (a
// secondary, a reopened log) folds the same snapshot and finishing flag:
//   payload := flags(1) len(1) snapshot(len) anything...
// flags bit 0: the event finishes its order; the other bits are noise.
std::string payload_of(std::uint8_t flags, std::string_view snapshot, std::string_view rest) {
  std::string out;
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(snapshot.size()));  // at most 40 here
  out.append(snapshot);
  out.append(rest);
  return out;
}

Result<FoldedEvent> fold_payload(std::string_view /*previous_snapshot*/, const Record& r) {
  if (r.payload.size() < 2) return make_error_code(Errc::corrupted);
  const std::size_t len = static_cast<std::uint8_t>(r.payload[1]);
  if (r.payload.size() < 2 + len) return make_error_code(Errc::corrupted);
  return FoldedEvent{r.payload.substr(2, len), (static_cast<std::uint8_t>(r.payload[0]) & 1) != 0};
}

std::string sets_str(const std::vector<std::pair<OrderSet, bool>>& sets) {
  std::string s;
  for (const auto& [set, member] : sets) s += std::string(member ? "+" : "-") + (set == OrderSet::active ? "A" : "D");
  return s.empty() ? "-" : s;
}

// What the log should hold: events in seq order and the state they derive.
struct Model {
  std::vector<Record> events;  // events[i].seq == i + 1
  // The last snapshot given, at the order's last event.
  std::map<OrderId, OrderSnapshotEntry> snapshots;
  // std::set<OrderId> orders by the 16 bytes, as the log lists sets.
  std::set<OrderId> open;         // `active`: orders whose last event did not finish them
  std::set<OrderId> dead_letter;  // as set_membership left it
  std::set<OrderId> finished;     // orders finished at least once
  std::size_t taken_up_again = 0;  // events of an order finished before
  std::map<std::string, IdempotencyEntry> claims;
  std::map<std::string, Seq> cursors;

  [[nodiscard]] Seq head() const { return Seq{events.size()}; }

  [[nodiscard]] const IdempotencyEntry* claim_of(const AppendCommand& c) const {
    if (!c.idempotency) return nullptr;
    const auto it = claims.find(c.idempotency->key);
    return it == claims.end() ? nullptr : &it->second;
  }

  // Appends `c` as the next event (callers have checked the log gave it head + 1).
  void apply(const AppendCommand& c, TimestampNs ts) {
    const Seq seq = head().next();
    events.push_back(Record{seq, c.order, ts, c.type, c.payload});
    if (!c.snapshot.empty()) {
      snapshots[c.order] = OrderSnapshotEntry{seq, c.snapshot};
    } else if (auto it = snapshots.find(c.order); it != snapshots.end()) {
      it->second.last_seq = seq;
    }
    if (finished.contains(c.order) && !open.contains(c.order)) ++taken_up_again;
    if (c.finishes) {
      open.erase(c.order);
      finished.insert(c.order);
    } else {
      open.insert(c.order);
    }
    for (const auto& [set, member] : c.set_membership) {
      if (set != OrderSet::dead_letter) continue;  // the log ignores `active` entries
      if (member) dead_letter.insert(c.order);
      else dead_letter.erase(c.order);
    }
    if (c.idempotency) claims.emplace(c.idempotency->key, IdempotencyEntry{c.order, c.idempotency->fingerprint});
  }

  [[nodiscard]] std::vector<Record> read(Seq from, std::size_t max) const {
    std::vector<Record> out;
    for (std::uint64_t s = std::max<std::uint64_t>(from.value, 1); s <= events.size() && out.size() < max; ++s) {
      out.push_back(events[s - 1]);
    }
    return out;
  }

  [[nodiscard]] std::vector<Record> read_order(const OrderId& order, Seq from) const {
    std::vector<Record> out;
    for (const auto& r : events) {
      if (r.order == order && r.seq >= from && !is_log_own_type(r.type)) out.push_back(r);
    }
    return out;
  }

  [[nodiscard]] const std::set<OrderId>& set_of(OrderSet set) const {
    return set == OrderSet::active ? open : dead_letter;
  }

  [[nodiscard]] std::vector<OrderId> members(OrderSet set, std::size_t max) const {
    const auto& s = set_of(set);
    std::vector<OrderId> out;
    for (auto it = s.begin(); it != s.end() && out.size() < max; ++it) out.push_back(*it);
    return out;
  }
};

struct FuzzParams {
  std::uint64_t seed = 0;
  int ops = 400;
  Durability durability = Durability::async;
  std::size_t max_batch = 4096;
  std::uint64_t checkpoint_events = 100'000;
};

void PrintTo(const FuzzParams& p, std::ostream* os) {
  *os << "seed " << p.seed << ", " << p.ops << " ops, " << (p.durability == Durability::sync ? "sync" : "async")
      << ", max_batch " << p.max_batch << ", checkpoint_events " << p.checkpoint_events;
}

std::vector<FuzzParams> fuzz_params() {
  if (const char* seed = std::getenv("OEE_FUZZ_SEED")) {
    FuzzParams p;
    p.seed = std::strtoull(seed, nullptr, 0);
    if (const char* ops = std::getenv("OEE_FUZZ_OPS")) p.ops = std::atoi(ops);
    if (const char* sync = std::getenv("OEE_FUZZ_SYNC"); sync && std::string(sync) == "1") p.durability = Durability::sync;
    if (const char* every = std::getenv("OEE_FUZZ_CHECKPOINT")) p.checkpoint_events = std::strtoull(every, nullptr, 0);
    return {p};
  }
  return {
      {101, 400, Durability::async, 4096, 100'000}, {102, 400, Durability::async, 1, 1},
      {103, 400, Durability::async, 2, 7},          {104, 400, Durability::async, 4096, 13},
      {105, 400, Durability::async, 3, 100'000},    {106, 400, Durability::async, 4096, 3},
      {107, 400, Durability::async, 4096, 50},      {108, 300, Durability::sync, 4096, 20},
  };
}

// A partition's appends cross the network: fewer operations per seed. It
// stores and folds alike whatever its batches, and checkpoints only at close.
std::vector<FuzzParams> partition_fuzz_params() {
  if (std::getenv("OEE_FUZZ_SEED") != nullptr) return fuzz_params();
  return {{201, 300, Durability::sync, 4096, 0}, {202, 300, Durability::sync, 4096, 0},
          {203, 300, Durability::sync, 4096, 0}};
}

// Records seen by a commit listener registered right after open.
struct Seen {
  std::mutex mu;
  std::vector<Record> records;
};

// ---- the backends ----------------------------------------------------------

/// The embedded log in a temp directory: opened again from it, closed, and
/// read by secondaries.
class EmbeddedFuzzLog {
 public:
  static constexpr bool kClaimsWithAnyEvent = true;
  static constexpr bool kAnyCursorName = true;
  static constexpr bool kRefusesMovedOn = false;
  static constexpr bool kClosesAndHasSecondaries = true;

  explicit EmbeddedFuzzLog(const FuzzParams& params)
      : params_(params),
        root_(fs::temp_directory_path() / ("oee-eventlog-fuzz-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(params.seed) + "-" + OrderId::random().str())) {
    if (!fs::create_directories(root_)) throw std::runtime_error("cannot create " + root_.string());
  }
  ~EmbeddedFuzzLog() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<LogPartitionWriter> open() {
    Options o;
    o.path = (root_ / "db").string();
    o.durability = params_.durability;
    o.max_batch = params_.max_batch;
    o.fold = fold_payload;
    o.checkpoint_events = params_.checkpoint_events;
    return eventlog::open_primary(o);
  }
  std::unique_ptr<LogPartitionReader> open_secondary() {
    Options o;
    o.path = (root_ / "db").string();
    o.secondary_path = (root_ / ("secondary-" + std::to_string(secondaries_++))).string();
    o.fold = fold_payload;  // rebuilds the order index as the primary built it
    return eventlog::open_secondary(o);
  }

 private:
  FuzzParams params_;
  fs::path root_;
  int secondaries_ = 0;
};

/// A fresh partition of a cluster log (OwnedPartition), written through
/// this node's owner's writer; opened again from its stream and taken over
/// again. It checkpoints only when it closes (a checkpoint mid-run is a
/// record of the log's own, which would shift the model's positions): its
/// checkpoints are tested in partition_log_test.cpp.
class PartitionFuzzLog {
 public:
  static constexpr bool kClaimsWithAnyEvent = false;
  static constexpr bool kAnyCursorName = false;
  static constexpr bool kRefusesMovedOn = true;
  static constexpr bool kClosesAndHasSecondaries = false;

  explicit PartitionFuzzLog(const FuzzParams&) {}

  std::unique_ptr<LogPartitionWriter> open() { return partition_.open(); }

 private:
  testing::OwnedPartition partition_{"fuzz", fold_payload, [](jetstream::PartitionLogOptions& o) {
                                       o.checkpoint_events = std::numeric_limits<std::uint64_t>::max();
                                       o.checkpoint_after = std::chrono::hours(24);
                                     }};
};

template <class Backend>
class LogFuzz : public ::testing::TestWithParam<FuzzParams> {
 protected:
  void SetUp() override {
    rng_.seed(GetParam().seed);
    backend_.emplace(GetParam());
    make_pools();
    ASSERT_NO_FATAL_FAILURE(open_primary());
  }

  void TearDown() override {
    secondary_.reset();
    subscription_.reset();
    log_.reset();
    backend_.reset();
  }

  // ---- randomness -------------------------------------------------------

  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }

  std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = chance(12) ? '\0' : static_cast<char>(rng_() & 0xFF);
    return s;
  }

  void make_pools() {
    // Orders: random ones plus byte-order edge cases (all-zero, all-0xff, ...).
    OrderId::Bytes b{};
    orders_.push_back(OrderId{b});
    b.fill(0xFF);
    orders_.push_back(OrderId{b});
    b.fill(0);
    b[15] = 1;
    orders_.push_back(OrderId{b});
    b.fill(0);
    b[0] = 0x80;
    orders_.push_back(OrderId{b});
    while (orders_.size() < 30) {
      for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
      if (std::find(orders_.begin(), orders_.end(), OrderId{b}) == orders_.end()) orders_.push_back(OrderId{b});
    }
    do {
      for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
      stranger_ = OrderId{b};
    } while (std::find(orders_.begin(), orders_.end(), stranger_) != orders_.end());

    // Idempotency keys: a hot few (claims collide) and a longer tail.
    keys_ = {"",
             std::string("\0", 1),
             std::string("k\0y", 3),
             "\xff\xfe",
             std::string(300, 'x'),
             "idem-hot-1",
             "idem-hot-2",
             "idem-hot-3"};
    for (int i = 0; i < 32; ++i) keys_.push_back("idem-" + std::to_string(i));
    // Where the engine claims keys: the first event of the key's own order.
    for (const auto& key : keys_) {
      do {
        for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
      } while (std::find(orders_.begin(), orders_.end(), OrderId{b}) != orders_.end() || OrderId{b} == stranger_);
      keyed_orders_.emplace(key, OrderId{b});
    }

    if constexpr (Backend::kAnyCursorName) {
      cursor_names_ = {"executor", "ws-fanout", "cursor/nested", std::string("nul\0name", 8), std::string(200, 'c'),
                       "\xff", ""};
    } else {
      cursor_names_ = {"executor", "ws-fanout", "redis-publisher", "c_1", std::string(200, 'c')};
    }
  }

  OrderId random_order() { return orders_[below(orders_.size())]; }

  TimestampNs random_ts() {
    const auto roll = below(100);
    if (roll < 50) return TimestampNs{};  // the log stamps now()
    if (roll < 75) return TimestampNs{TimestampNs::now().value + static_cast<std::int64_t>(below(1'000'000))};
    if (roll < 90) return TimestampNs{static_cast<std::int64_t>(1 + below(std::uint64_t{1} << 62))};
    static constexpr std::array<std::int64_t, 4> kEdges = {1, -1, std::numeric_limits<std::int64_t>::max(),
                                                           std::numeric_limits<std::int64_t>::min()};
    return TimestampNs{kEdges[below(kEdges.size())]};
  }

  std::string random_key() { return chance(50) ? keys_[below(8)] : keys_[below(keys_.size())]; }

  AppendCommand random_command() {
    AppendCommand c;
    c.order = random_order();
    c.ts = random_ts();
    c.type = static_cast<std::uint8_t>(below(kFirstLogOwnType));  // the rest are the log's own
    if (!chance(30)) c.snapshot = random_bytes(1 + below(40));
    c.finishes = chance(25);
    c.payload = payload_of(static_cast<std::uint8_t>((rng_() & 0xFE) | (c.finishes ? 1 : 0)), c.snapshot,
                           random_bytes(below(200)));
    // Entries for `active` too: the log must ignore them.
    for (auto n = below(4); n > 0; --n) {
      c.set_membership.emplace_back(chance(50) ? OrderSet::active : OrderSet::dead_letter, chance(55));
    }
    if (chance(35)) {
      c.idempotency = IdempotencyClaim{random_key(), random_bytes(below(12))};
      if constexpr (!Backend::kClaimsWithAnyEvent) {
        c.order = keyed_orders_.at(c.idempotency->key);
        c.begins = true;
      }
    }
    return c;
  }

  Seq random_cursor_seq() {
    const auto roll = below(100);
    if (roll < 15) return Seq{0};
    if (roll < 45) return model_.head();
    if (roll < 80) return Seq{below(model_.head().value + 10)};
    return Seq{rng_()};
  }

  std::string order_name(const OrderId& id) const {
    const auto it = std::find(orders_.begin(), orders_.end(), id);
    if (it != orders_.end()) return "o" + std::to_string(it - orders_.begin());
    for (const auto& [key, order] : keyed_orders_)
      if (order == id) return "key " + hex(key, 8);
    return id.str();
  }

  std::string describe_cmd(const AppendCommand& c) const {
    std::string s = order_name(c.order) + " ts=" + std::to_string(c.ts.value) + " type=" + std::to_string(c.type) +
                    " payload=" + std::to_string(c.payload.size()) + "B snap=" + std::to_string(c.snapshot.size()) +
                    "B" + (c.finishes ? " finishes" : "") + (c.begins ? " begins" : "") +
                    " sets=" + sets_str(c.set_membership);
    if (c.idempotency) s += " claim=" + hex(c.idempotency->key, 8);
    return s;
  }

  void note(std::string what) {
    if (what.size() > 2000) what = what.substr(0, 2000) + "...";
    history_.push_back(std::move(what));
    if (history_.size() > 30) history_.pop_front();
  }

  // ---- opening ----------------------------------------------------------

  void open_primary() {
    subscription_.reset();
    log_ = backend_->open();
    // What the log wrote of its own in opening (a partition's takeover, its
    // checkpoint at close) is no command's: the model takes it as it is.
    auto own = log_->read(model_.head().next(), kAll);
    ASSERT_TRUE(own) << own.error().message();
    for (const auto& r : *own) {
      ASSERT_TRUE(is_log_own_type(r.type)) << "opening wrote " << describe(r);
      ASSERT_EQ(r.seq.value, model_.head().value + 1) << "opening wrote " << describe(r);
      model_.events.push_back(r);
    }
    seen_ = std::make_shared<Seen>();
    subscription_ = log_->on_commit([seen = seen_](std::span<const Record> records) {
      std::lock_guard lock(seen->mu);
      seen->records.insert(seen->records.end(), records.begin(), records.end());
    });
    opened_at_ = model_.head();
    events_at_open_ = log_->stats().events.load();
    failed_at_open_ = log_->stats().failed_commits.load();
    refused_since_open_ = 0;
    ASSERT_EQ(log_->head().value, model_.head().value) << "head after opening the primary";
  }

  void open_secondary() {
    secondary_.reset();
    secondary_ = backend_->open_secondary();
  }

  // A write refused because its order moved on while it was in flight
  // (another write of that order went first): nothing was stored.
  bool refused_as_moved_on(const Result<AppendOutcome>& r) {
    if constexpr (Backend::kRefusesMovedOn) {
      if (!r && r.error() == jetstream::JsErrc::conflict) {
        ++refused_since_open_;
        return true;
      }
    }
    return false;
  }

  // ---- checks against the model ----------------------------------------

  void check_outcome(const AppendCommand& c, const Result<AppendOutcome>& r, TimestampNs before, TimestampNs after) {
    ASSERT_TRUE(r.has_value()) << r.error().message();
    if (const IdempotencyEntry* claimed = model_.claim_of(c)) {
      ASSERT_TRUE(r->existing.has_value()) << "key " << hex(c.idempotency->key) << " is claimed by "
                                           << claimed->order.str() << " but the append got seq " << r->seq.value;
      EXPECT_EQ(r->existing->order.str(), claimed->order.str());
      EXPECT_EQ(r->existing->fingerprint, claimed->fingerprint);
      EXPECT_EQ(r->seq.value, 0u);
      return;
    }
    ASSERT_FALSE(r->existing.has_value()) << "unclaimed key " << hex(c.idempotency ? c.idempotency->key : "")
                                          << " reported as claimed by " << r->existing->order.str();
    ASSERT_EQ(r->seq.value, model_.head().value + 1) << "seqs must be dense";
    check_ts(c, r->ts, before, after);
  }

  static void check_ts(const AppendCommand& c, TimestampNs ts, TimestampNs before, TimestampNs after) {
    if (c.ts.value != 0) {
      EXPECT_EQ(ts.value, c.ts.value) << "an explicit ts is kept";
    } else {
      EXPECT_TRUE(before <= ts && ts <= after)
          << "stamped ts " << ts.value << " outside [" << before.value << ", " << after.value << "]";
    }
  }

  void check_read(LogPartitionReader& log, Seq from, std::size_t max) {
    EXPECT_TRUE(same_records(log.read(from, max), model_.read(from, max))) << "read(" << from.value << ", " << max
                                                                           << ")";
  }

  void check_order(LogPartitionReader& log, const OrderId& order, Seq from) {
    EXPECT_TRUE(same_records(log.read_order(order, from), model_.read_order(order, from)))
        << "read_order(" << order_name(order) << ", " << from.value << ")";
  }

  void check_snapshot(LogPartitionReader& log, const OrderId& order) {
    const auto actual = log.snapshot(order);
    ASSERT_TRUE(actual.has_value()) << actual.error().message();
    const auto it = model_.snapshots.find(order);
    if (it == model_.snapshots.end()) {
      EXPECT_FALSE(actual->has_value()) << "snapshot(" << order_name(order) << ") should be absent, got seq "
                                        << (*actual)->last_seq.value;
      return;
    }
    ASSERT_TRUE(actual->has_value()) << "snapshot(" << order_name(order) << ") missing";
    EXPECT_EQ((*actual)->last_seq.value, it->second.last_seq.value) << "snapshot(" << order_name(order) << ")";
    EXPECT_EQ((*actual)->snapshot, it->second.snapshot) << "snapshot(" << order_name(order) << ")";
  }

  // A finished order's record lists all its events and its last snapshot;
  // an order that never finished has none. (An order taken up again may
  // keep the record of its last finish: not checked.)
  void check_finished_record(LogPartitionReader& log, const OrderId& order) {
    const auto actual = log.finished_record(order);
    ASSERT_TRUE(actual.has_value()) << actual.error().message();
    if (!model_.finished.contains(order)) {
      EXPECT_FALSE(actual->has_value()) << "finished_record(" << order_name(order) << ") of an order never finished";
      return;
    }
    if (model_.open.contains(order)) return;
    ASSERT_TRUE(actual->has_value()) << "finished_record(" << order_name(order) << ") missing";
    EXPECT_EQ((*actual)->order, order);
    const auto it = model_.snapshots.find(order);
    EXPECT_EQ((*actual)->snapshot, it == model_.snapshots.end() ? std::string() : it->second.snapshot)
        << "finished_record(" << order_name(order) << ")";
    std::vector<std::uint64_t> expected, seqs;
    for (const auto& r : model_.read_order(order, Seq{0})) expected.push_back(r.seq.value);
    for (const auto& s : (*actual)->seqs) seqs.push_back(s.value);
    EXPECT_EQ(seqs, expected) << "finished_record(" << order_name(order) << ")";
  }

  void check_members(LogPartitionReader& log, OrderSet set, std::size_t max) {
    const auto actual = log.members(set, max);
    ASSERT_TRUE(actual.has_value()) << actual.error().message();
    const auto expected = model_.members(set, max);
    EXPECT_TRUE(*actual == expected) << "members(" << static_cast<int>(set) << ", " << max << ")\n  actual   "
                                     << describe(*actual) << "\n  expected " << describe(expected);
  }

  void check_cursor(LogPartitionReader& log, const std::string& name) {
    const auto actual = log.cursor(name);
    ASSERT_TRUE(actual.has_value()) << actual.error().message();
    const auto it = model_.cursors.find(name);
    EXPECT_EQ(actual->value, it == model_.cursors.end() ? 0u : it->second.value) << "cursor(" << hex(name) << ")";
  }

  // What the commit listener and the stats saw since this primary was opened.
  void check_listener() {
    {
      std::lock_guard lock(seen_->mu);
      EXPECT_TRUE(same_records(seen_->records, model_.read(opened_at_.next(), kAll))) << "commit listener";
    }
    EXPECT_EQ(log_->stats().events.load() - events_at_open_, model_.head().value - opened_at_.value)
        << "stats().events";
    EXPECT_EQ(log_->stats().failed_commits.load() - failed_at_open_, refused_since_open_) << "stats().failed_commits";
    EXPECT_EQ(log_->stats().open_orders.load(), model_.open.size()) << "stats().open_orders";
  }

  void full_check(LogPartitionReader& log) {
    EXPECT_EQ(log.head().value, model_.head().value);
    check_read(log, Seq{0}, kAll);
    check_read(log, Seq{1}, kAll);
    for (const auto& o : orders_) {
      check_order(log, o, Seq{0});
      check_snapshot(log, o);
      check_finished_record(log, o);
    }
    check_order(log, stranger_, Seq{0});
    check_snapshot(log, stranger_);
    check_finished_record(log, stranger_);
    for (OrderSet set : {OrderSet::active, OrderSet::dead_letter}) {
      check_members(log, set, kAll);
      check_members(log, set, 1);
      check_members(log, set, 0);
    }
    for (const auto& n : cursor_names_) check_cursor(log, n);
    for (int t = 0; t < 4; ++t) check_cursor(log, worker_cursor(t));
    check_cursor(log, "never-stored");
  }

  static std::string worker_cursor(int t) { return "worker-" + std::to_string(t); }

  // ---- operations --------------------------------------------------------

  void op_append() {
    const AppendCommand c = random_command();
    const auto before = TimestampNs::now();
    auto f = append_future(*log_, c);
    const auto r = await_result(f);
    const auto after = TimestampNs::now();
    note("append " + describe_cmd(c) + " -> " +
         (r ? (r->existing ? "existing " + order_name(r->existing->order) : "seq " + std::to_string(r->seq.value))
            : r.error().message()));
    ASSERT_NO_FATAL_FAILURE(check_outcome(c, r, before, after));
    if (!r->existing) model_.apply(c, r->ts);
    EXPECT_EQ(log_->head().value, model_.head().value);
  }

  // Appends and cursor stores queued back to back from this thread: their
  // queue order is known, so every outcome is exact.
  void op_burst() {
    struct Item {
      std::optional<AppendCommand> cmd;
      std::string cursor;
      Seq cursor_seq;
      std::future<Result<AppendOutcome>> append;
      std::future<std::error_code> store;
    };
    std::vector<Item> items(2 + below(11));
    std::string what = "burst";
    const auto before = TimestampNs::now();
    for (auto& it : items) {
      if (chance(15)) {
        it.cursor = cursor_names_[below(cursor_names_.size())];
        it.cursor_seq = random_cursor_seq();
        what += " | cursor " + hex(it.cursor, 8) + "=" + std::to_string(it.cursor_seq.value);
      } else {
        it.cmd = random_command();
        what += " | " + describe_cmd(*it.cmd);
      }
    }
    note(what);
    for (auto& it : items) {
      if (it.cmd) it.append = append_future(*log_, *it.cmd);
      else it.store = cursor_future(*log_, it.cursor, it.cursor_seq);
    }
    std::vector<Result<AppendOutcome>> appended(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].cmd) {
        appended[i] = await_result(items[i].append);
      } else {
        EXPECT_FALSE(await_result(items[i].store)) << "store_cursor in a burst";
      }
    }
    const auto after = TimestampNs::now();
    for (std::size_t i = 0; i < items.size(); ++i) {
      SCOPED_TRACE("burst item " + std::to_string(i));
      if (!items[i].cmd) {
        model_.cursors[items[i].cursor] = items[i].cursor_seq;
        continue;
      }
      if (refused_as_moved_on(appended[i])) continue;
      ASSERT_NO_FATAL_FAILURE(check_outcome(*items[i].cmd, appended[i], before, after));
      if (!appended[i]->existing) model_.apply(*items[i].cmd, appended[i]->ts);
    }
    EXPECT_EQ(log_->head().value, model_.head().value);
    for (const auto& it : items) {
      if (!it.cmd) check_cursor(*log_, it.cursor);
    }
  }

  // 2-4 threads append at once (group commit) while another thread reads.
  void op_concurrent() {
    struct Item {
      std::optional<AppendCommand> cmd;  // else a store of the thread's cursor
      Seq cursor_seq;
      std::future<Result<AppendOutcome>> append;
      std::future<std::error_code> store;
    };
    const int threads = 2 + static_cast<int>(below(3));
    std::vector<std::vector<Item>> plan(threads);
    std::string what = "concurrent";
    for (int t = 0; t < threads; ++t) {
      what += " || t" + std::to_string(t) + ":";
      plan[t].resize(1 + below(8));
      for (auto& it : plan[t]) {
        if (chance(10)) {
          it.cursor_seq = random_cursor_seq();
          what += " | cursor=" + std::to_string(it.cursor_seq.value);
        } else {
          it.cmd = random_command();
          what += " | " + describe_cmd(*it.cmd);
        }
      }
    }
    note(what);

    const std::uint64_t h0 = model_.head().value;
    const std::uint64_t read_from = h0 > 20 ? h0 - 20 : 1;
    std::atomic<bool> writers_done{false};
    std::vector<std::string> reader_errors;
    std::latch start(threads + 1);
    const auto before = TimestampNs::now();
    // Whatever the reader sees is a dense run that reaches head() and
    // agrees with the events that existed before the round.
    std::thread reader([&] {
      start.arrive_and_wait();
      std::uint64_t last_head = h0;
      for (int pass = 0; pass < 200 && reader_errors.empty(); ++pass) {
        const bool final_pass = writers_done.load(std::memory_order_acquire);
        const std::uint64_t h = log_->head().value;
        if (h < last_head) reader_errors.push_back("head went back from " + std::to_string(last_head));
        last_head = h;
        const auto r = log_->read(Seq{read_from}, kAll);
        if (!r) {
          reader_errors.push_back("read failed: " + r.error().message());
          break;
        }
        if (read_from + r->size() - 1 < h) {
          reader_errors.push_back("read ends at " + std::to_string(read_from + r->size() - 1) + " below head " +
                                  std::to_string(h));
        }
        for (std::size_t i = 0; i < r->size(); ++i) {
          const Record& rec = (*r)[i];
          if (rec.seq.value != read_from + i) {
            reader_errors.push_back("gap: " + describe(rec) + " at offset " + std::to_string(i));
            break;
          }
          if (rec.seq.value <= h0 && !same(rec, model_.events[rec.seq.value - 1])) {
            reader_errors.push_back("old event changed: " + describe(rec));
            break;
          }
        }
        if (final_pass) break;
      }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        start.arrive_and_wait();
        for (auto& it : plan[t]) {
          if (it.cmd) it.append = append_future(*log_, *it.cmd);
          else it.store = cursor_future(*log_, worker_cursor(t), it.cursor_seq);
        }
      });
    }
    for (auto& w : workers) w.join();
    bool timed_out = false;
    std::vector<std::vector<Result<AppendOutcome>>> outcomes(threads);
    std::vector<std::vector<std::error_code>> stores(threads);
    for (int t = 0; t < threads && !timed_out; ++t) {
      outcomes[t].resize(plan[t].size());
      stores[t].resize(plan[t].size());
      for (std::size_t i = 0; i < plan[t].size() && !timed_out; ++i) {
        auto& it = plan[t][i];
        if (it.cmd) {
          timed_out = it.append.wait_for(kOperationDeadline) != std::future_status::ready;
          if (!timed_out) outcomes[t][i] = it.append.get();
        } else {
          timed_out = it.store.wait_for(kOperationDeadline) != std::future_status::ready;
          if (!timed_out) stores[t][i] = it.store.get();
        }
      }
    }
    const auto after = TimestampNs::now();
    writers_done.store(true, std::memory_order_release);
    reader.join();
    ASSERT_FALSE(timed_out) << "a concurrent completion never ran";
    for (const auto& e : reader_errors) ADD_FAILURE() << "concurrent reader: " << e;

    struct Done {
      int t;
      std::size_t i;
    };
    std::vector<Done> wins, losses;
    for (int t = 0; t < threads; ++t) {
      std::uint64_t last_seq = 0;
      for (std::size_t i = 0; i < plan[t].size(); ++i) {
        if (!plan[t][i].cmd) {
          EXPECT_FALSE(stores[t][i]) << "store_cursor t" << t << " #" << i << ": " << stores[t][i].message();
          continue;
        }
        const auto& r = outcomes[t][i];
        if (refused_as_moved_on(r)) continue;
        ASSERT_TRUE(r.has_value()) << "t" << t << " #" << i << ": " << r.error().message();
        if (r->existing) {
          losses.push_back({t, i});
          continue;
        }
        EXPECT_GT(r->seq.value, last_seq) << "t" << t << " #" << i << ": one thread's appends got seqs out of order";
        last_seq = r->seq.value;
        wins.push_back({t, i});
      }
    }
    const auto seq_of = [&](const Done& d) { return outcomes[d.t][d.i]->seq.value; };
    std::sort(wins.begin(), wins.end(), [&](const Done& a, const Done& b) { return seq_of(a) < seq_of(b); });
    for (std::size_t k = 0; k < wins.size(); ++k) {
      ASSERT_EQ(seq_of(wins[k]), h0 + 1 + k) << "the round's seqs must be exactly " << h0 + 1 << ".."
                                            << h0 + wins.size();
    }
    std::map<std::string, Done> winner_of;  // keys first claimed in this round
    for (const Done& d : wins) {
      const AppendCommand& c = *plan[d.t][d.i].cmd;
      if (const IdempotencyEntry* claimed = model_.claim_of(c)) {
        ADD_FAILURE() << "key " << hex(c.idempotency->key) << " already claimed by " << claimed->order.str()
                      << " was granted again to t" << d.t << " #" << d.i << " at seq " << seq_of(d);
      }
      if (c.idempotency) winner_of.emplace(c.idempotency->key, d);
      check_ts(c, outcomes[d.t][d.i]->ts, before, after);
      model_.apply(c, outcomes[d.t][d.i]->ts);
    }
    for (const Done& d : losses) {
      const AppendCommand& c = *plan[d.t][d.i].cmd;
      const AppendOutcome& out = *outcomes[d.t][d.i];
      EXPECT_EQ(out.seq.value, 0u);
      ASSERT_TRUE(c.idempotency.has_value()) << "t" << d.t << " #" << d.i << " has no claim but got `existing`";
      const IdempotencyEntry* claimed = model_.claim_of(c);
      ASSERT_NE(claimed, nullptr) << "t" << d.t << " #" << d.i << " was refused for key "
                                  << hex(c.idempotency->key) << " that nobody holds";
      EXPECT_EQ(out.existing->order.str(), claimed->order.str()) << "t" << d.t << " #" << d.i;
      EXPECT_EQ(out.existing->fingerprint, claimed->fingerprint) << "t" << d.t << " #" << d.i;
      // The winner was queued before this loser, so it precedes everything
      // this loser's thread queued after it.
      if (const auto w = winner_of.find(c.idempotency->key); w != winner_of.end()) {
        const Done& win = w->second;
        EXPECT_FALSE(win.t == d.t && win.i > d.i) << "t" << d.t << " #" << d.i << " lost to its own later append";
        for (std::size_t j = d.i + 1; j < plan[d.t].size(); ++j) {
          if (plan[d.t][j].cmd && outcomes[d.t][j] && !outcomes[d.t][j]->existing) {
            EXPECT_LT(seq_of(win), outcomes[d.t][j]->seq.value)
                << "t" << d.t << " #" << d.i << " lost to an append queued after t" << d.t << " #" << j;
            break;
          }
        }
      }
    }
    for (int t = 0; t < threads; ++t) {
      for (std::size_t i = 0; i < plan[t].size(); ++i) {
        if (!plan[t][i].cmd) model_.cursors[worker_cursor(t)] = plan[t][i].cursor_seq;
      }
    }
    EXPECT_EQ(log_->head().value, model_.head().value);
    for (int t = 0; t < threads; ++t) check_cursor(*log_, worker_cursor(t));
  }

  void op_read() {
    const std::uint64_t h = model_.head().value;
    const auto roll = below(100);
    const Seq from{roll < 20 ? 0 : roll < 25 ? kMaxSeq : below(h + 3)};
    const auto mroll = below(100);
    const std::size_t max = mroll < 10 ? 0 : mroll < 25 ? kAll : 1 + below(h + 5);
    note("read(" + std::to_string(from.value) + ", " + std::to_string(max) + ")");
    check_read(*log_, from, max);
  }

  void op_read_order() {
    const OrderId o = chance(10) ? stranger_ : random_order();
    const auto roll = below(100);
    const Seq from{roll < 50 ? 0 : roll < 53 ? kMaxSeq : below(model_.head().value + 2)};
    note("read_order(" + order_name(o) + ", " + std::to_string(from.value) + ")");
    check_order(*log_, o, from);
  }

  void op_snapshot() {
    const OrderId o = chance(5) ? stranger_ : random_order();
    note("snapshot(" + order_name(o) + ")");
    check_snapshot(*log_, o);
    check_finished_record(*log_, o);
  }

  void op_members() {
    const OrderSet set = chance(50) ? OrderSet::active : OrderSet::dead_letter;
    const auto roll = below(100);
    const std::size_t max =
        roll < 10 ? 0 : roll < 30 ? kAll : below(model_.set_of(set).size() + 3);
    note("members(" + std::to_string(static_cast<int>(set)) + ", " + std::to_string(max) + ")");
    check_members(*log_, set, max);
  }

  void op_cursor() {
    const std::string name = cursor_names_[below(cursor_names_.size())];
    const Seq seq = random_cursor_seq();
    note("store_cursor(" + hex(name, 8) + ", " + std::to_string(seq.value) + ")");
    auto f = cursor_future(*log_, name, seq);
    const std::error_code ec = await_result(f);
    EXPECT_FALSE(ec) << ec.message();
    model_.cursors[name] = seq;
    check_cursor(*log_, name);
    EXPECT_EQ(log_->head().value, model_.head().value) << "a cursor store is not an event";
    check_cursor(*log_, cursor_names_[below(cursor_names_.size())]);
  }

  void reopen(bool close_first) {
    ASSERT_NO_FATAL_FAILURE(check_listener());
    if (close_first) log_->close();
    log_.reset();
    // A secondary's stored entries (finished records, sets, cursors) may be
    // stale across a primary restart (see LogPartitionReader::refresh): audits
    // open a fresh one, and so does this.
    secondary_.reset();
    ASSERT_NO_FATAL_FAILURE(open_primary());
    check_cursor(*log_, cursor_names_[below(cursor_names_.size())]);
    ASSERT_NO_FATAL_FAILURE(op_append());  // continues densely after the reopen
  }

  void op_reopen() {
    const bool close_first = chance(50);
    note(std::string("reopen") + (close_first ? " (close first)" : ""));
    reopen(close_first);
  }

  void op_close() {
    note("close, write to the closed log, reopen");
    log_->close();
    log_->close();  // idempotent
    auto f = append_future(*log_, random_command());
    const auto r = await_result(f);
    ASSERT_FALSE(r.has_value()) << "append on a closed log got seq " << r->seq.value;
    EXPECT_EQ(r.error(), Errc::closed);
    auto s = cursor_future(*log_, "executor", Seq{1});
    EXPECT_EQ(await_result(s), Errc::closed);
    EXPECT_EQ(log_->head().value, model_.head().value);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(log_->wait_beyond(model_.head(), kOperationDeadline).value, model_.head().value);
    EXPECT_LT(std::chrono::steady_clock::now() - start, kOperationDeadline / 2) << "wait_beyond on a closed log must not wait";
    reopen(false);
  }

  void op_secondary() {
    if (!secondary_ || chance(30)) {
      note("open secondary");
      open_secondary();
    } else {
      note("refresh secondary");
      const auto r = secondary_->refresh();
      ASSERT_TRUE(r.has_value()) << r.error().message();
      EXPECT_EQ(r->value, model_.head().value) << "refresh() returns the primary's head";
    }
    secondary_checks(*secondary_);
    check_read(*secondary_, Seq{1}, kAll);
    auto& underneath = dynamic_cast<LogPartitionWriter&>(*secondary_);  // a reader by type; refuses underneath too
    auto f = append_future(underneath, random_command());
    const auto r = await_result(f);
    ASSERT_FALSE(r.has_value()) << "a secondary accepted an append";
    EXPECT_EQ(r.error(), Errc::read_only);
    auto s = cursor_future(underneath, "executor", Seq{1});
    EXPECT_EQ(await_result(s), Errc::read_only);
    if (chance(25)) secondary_.reset();
  }

  // A few point queries on a secondary, which reads the same column families.
  void secondary_checks(LogPartitionReader& log) {
    EXPECT_EQ(log.head().value, model_.head().value) << "secondary head";
    check_order(log, random_order(), Seq{0});
    const OrderId o = random_order();
    check_snapshot(log, o);
    check_finished_record(log, o);
    check_members(log, chance(50) ? OrderSet::active : OrderSet::dead_letter, kAll);
    check_cursor(log, cursor_names_[below(cursor_names_.size())]);
  }

  void op_observers() {
    note("head / wait_beyond / listener / stats");
    const Seq h = model_.head();
    EXPECT_EQ(log_->head().value, h.value);
    EXPECT_EQ(log_->wait_beyond(h, 0ms).value, h.value);
    if (h.value > 0) {
      EXPECT_EQ(log_->wait_beyond(Seq{h.value - 1}, 0ms).value, h.value);
    }
    check_listener();
  }

  void step() {
    const auto roll = below(1000);
    if (roll < 310) op_append();
    else if (roll < 390) op_burst();
    else if (roll < 460) op_concurrent();
    else if (roll < 560) op_read();
    else if (roll < 630) op_read_order();
    else if (roll < 690) op_snapshot();
    else if (roll < 750) op_members();
    else if (roll < 820) op_cursor();
    else if (roll < 845) op_reopen();
    else if (roll >= 920) op_observers();
    else if constexpr (Backend::kClosesAndHasSecondaries) {
      if (roll < 855) op_close();
      else op_secondary();
    } else {
      op_observers();
    }
  }

  void run() {
    const FuzzParams& p = GetParam();
    SCOPED_TRACE("fuzz seed " + std::to_string(p.seed) + " (rerun: OEE_FUZZ_SEED=" + std::to_string(p.seed) +
                 (p.durability == Durability::sync ? " OEE_FUZZ_SYNC=1" : "") + "; max_batch " +
                 std::to_string(p.max_batch) + ")");
    for (int i = 0; i < p.ops; ++i) {
      {
        SCOPED_TRACE("op #" + std::to_string(i));
        step();
      }
      if (HasFailure()) FAIL() << "stopped at op #" << i << "; recent ops:" << recent_ops();
    }
    // Everything, on the primary, after a reopen and on a fresh secondary.
    note("final checks");
    full_check(*log_);
    check_listener();
    ASSERT_FALSE(HasFailure()) << "recent ops:" << recent_ops();
    reopen(true);
    full_check(*log_);
    ASSERT_FALSE(HasFailure()) << "after the final reopen; recent ops:" << recent_ops();
    if constexpr (Backend::kClosesAndHasSecondaries) {
      open_secondary();
      full_check(*secondary_);
      EXPECT_FALSE(HasFailure()) << "on a fresh secondary; recent ops:" << recent_ops();
    }
    EXPECT_GT(model_.head().value, static_cast<std::uint64_t>(p.ops) / 2) << "the mix should mostly write";
    EXPECT_FALSE(model_.claims.empty() || model_.open.empty() || model_.dead_letter.empty() ||
                 model_.finished.empty() || model_.taken_up_again == 0 || model_.snapshots.empty() ||
                 model_.cursors.empty())
        << "the mix should reach every index";
  }

  std::string recent_ops() const {
    std::string s;
    for (const auto& h : history_) s += "\n  " + h;
    return s;
  }

  std::mt19937_64 rng_;
  std::optional<Backend> backend_;
  std::vector<OrderId> orders_;
  OrderId stranger_;  // never appended to
  std::vector<std::string> keys_;
  std::map<std::string, OrderId> keyed_orders_;  // the order a key makes, where claims go with first events
  std::vector<std::string> cursor_names_;
  Model model_;
  std::unique_ptr<LogPartitionWriter> log_;
  std::shared_ptr<Seen> seen_;
  CommitSubscription subscription_;
  Seq opened_at_;
  std::uint64_t events_at_open_ = 0;  // stats() as opening left them
  std::uint64_t failed_at_open_ = 0;
  std::uint64_t refused_since_open_ = 0;
  std::unique_ptr<LogPartitionReader> secondary_;
  std::deque<std::string> history_;
};

using LogFuzzRocksDb = LogFuzz<EmbeddedFuzzLog>;
using LogFuzzJetStreamPartition = LogFuzz<PartitionFuzzLog>;
TEST_P(LogFuzzRocksDb, RandomOpsMatchTheModel) { run(); }
TEST_P(LogFuzzJetStreamPartition, RandomOpsMatchTheModel) { run(); }

// Focused reproductions of what the fuzzer found; each asserts the contract.
class EventLogFuzzFindings : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("oee-eventlog-fuzz-finding-" + std::to_string(::getpid()) + "-" +
                                         OrderId::random().str());
    ASSERT_TRUE(fs::create_directories(root_));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Options options(const std::string& secondary = "secondary") const {
    Options o;
    o.path = (root_ / "db").string();
    o.durability = Durability::async;
    o.secondary_path = (root_ / secondary).string();
    o.fold = fold_payload;
    return o;
  }
  static Result<AppendOutcome> append(LogPartitionWriter& log, const OrderId& order, std::string snapshot,
                                      bool finishes = false, std::vector<std::pair<OrderSet, bool>> sets = {}) {
    std::string payload = payload_of(finishes ? 1 : 0, snapshot, "p");
    auto f = append_future(log, AppendCommand{order, TimestampNs{}, 1, std::move(payload), std::move(snapshot),
                                              finishes, /*begins=*/false, std::move(sets), {}});
    return await_result(f);
  }
  static std::error_code store(LogPartitionWriter& log, std::string name, Seq seq) {
    auto f = cursor_future(log, std::move(name), seq);
    return await_result(f);
  }
  fs::path root_;
};

// store_cursor("") must store a cursor named "", not append an event.
TEST_F(EventLogFuzzFindings, EmptyCursorNameIsACursorNotAnEvent) {
  auto log = open_primary(options());
  EXPECT_FALSE(store(*log, "", Seq{7}));
  EXPECT_EQ(log->head().value, 0u) << "store_cursor(\"\") appended an event";
  const auto events = log->read(Seq{1}, 10);
  ASSERT_TRUE(events.has_value());
  EXPECT_TRUE(events->empty()) << "phantom event " << (events->empty() ? "" : describe(events->front()));
  EXPECT_EQ(log->cursor("").value().value, 7u);
}

// Across a primary restart, a refreshed secondary sees every new event
// (events are never overwritten) and its order index folds them, so open
// orders' snapshots and `active` are current; stored entries (cursors, sets,
// finished-order records) come from a fresh secondary, as
// LogPartitionReader::refresh documents.
TEST_F(EventLogFuzzFindings, SecondaryAcrossPrimaryRestartFoldsNewEventsAndFreshSecondarySeesStoredState) {
  auto log = open_primary(options());
  const OrderId a = OrderId::random(), b = OrderId::random();
  ASSERT_TRUE(append(*log, a, "snap-1"));
  ASSERT_TRUE(append(*log, b, "b-1"));
  ASSERT_FALSE(store(*log, "c", Seq{1}));
  auto secondary = open_secondary(options());
  ASSERT_EQ((*secondary->snapshot(a).value()).snapshot, "snap-1");
  ASSERT_EQ(secondary->members(OrderSet::active, 10).value().size(), 2u);

  ASSERT_TRUE(append(*log, a, "snap-2"));
  ASSERT_FALSE(store(*log, "c", Seq{2}));
  log.reset();  // the reopen below flushes the WAL into SST files
  log = open_primary(options());
  EXPECT_EQ(log->cursor("c").value().value, 2u) << "primary";
  ASSERT_TRUE(append(*log, b, "b-4", true, {{OrderSet::dead_letter, true}}));

  const auto head = secondary->refresh();
  ASSERT_TRUE(head.has_value()) << head.error().message();
  EXPECT_EQ(head->value, 4u);
  EXPECT_EQ(secondary->read(Seq{1}, 10).value().size(), 4u);
  EXPECT_EQ(secondary->members(OrderSet::active, 10).value(), std::vector<OrderId>{a}) << "b finished at seq 4";
  const auto folded = secondary->snapshot(a).value();
  ASSERT_TRUE(folded.has_value());
  EXPECT_EQ(folded->last_seq.value, 3u);
  EXPECT_EQ(folded->snapshot, "snap-2") << "folded by the refreshed secondary";
  EXPECT_EQ(secondary->read_order(a).value().size(), 2u);

  auto fresh = open_secondary(options("secondary-fresh"));
  const auto snap = fresh->snapshot(a).value();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->last_seq.value, 3u);
  EXPECT_EQ(snap->snapshot, "snap-2");
  EXPECT_EQ(fresh->cursor("c").value().value, 2u);
  EXPECT_EQ(fresh->members(OrderSet::active, 10).value(), std::vector<OrderId>{a});
  EXPECT_EQ(fresh->members(OrderSet::dead_letter, 10).value(), std::vector<OrderId>{b});
  const auto record = fresh->finished_record(b).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->snapshot, "b-4");
  EXPECT_EQ(record->seqs, (std::vector<Seq>{Seq{2}, Seq{4}}));
  EXPECT_EQ(fresh->read_order(b).value().size(), 2u);
}

std::string seed_name(const ::testing::TestParamInfo<FuzzParams>& info) {
  return "seed_" + std::to_string(info.param.seed) + "_" +
         (info.param.durability == Durability::sync ? "sync" : "async") + "_batch" +
         std::to_string(info.param.max_batch) + "_checkpoint" + std::to_string(info.param.checkpoint_events);
}
INSTANTIATE_TEST_SUITE_P(Seeds, LogFuzzRocksDb, ::testing::ValuesIn(fuzz_params()), seed_name);
INSTANTIATE_TEST_SUITE_P(Seeds, LogFuzzJetStreamPartition, ::testing::ValuesIn(partition_fuzz_params()), seed_name);

}  // namespace
}  // namespace oee::eventlog
