// Integration tests of the PostgreSQL projection: each test starts its own
// PostgreSQL server and uses a fresh RocksDB log in a temp directory.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "core/wire/event_codec.h"
#include "core/domain/order.h"
#include "core/domain/recurring.h"
#include "core/domain/tokens.h"
#include "core/engine/order_store.h"
#include "core/wire/status_message.h"
#include "eventlog/event_log.h"
#include "eventually.h"
#include "faulty_log.h"
#include "order_lifecycle.h"
#include "pg_server.h"
#include "scratch_log.h"
#include "projections/history.h"
#include "projections/migrations.h"
#include "projections/order_rows.h"
#include "projections/projector.h"
#include "projections/rebuild.h"

namespace oee::projections {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr auto kDeadline = 30s;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = kDeadline) {
  return oee::testing::eventually_true(done, timeout);
}

using testing::drive_orders;
using testing::Driven;

std::optional<std::string> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

std::optional<std::int64_t> opt_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

std::int64_t count_of(const std::string& url, const std::string& table) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  return tx.exec1("SELECT count(*) FROM " + table)[0].as<std::int64_t>();
}

std::int64_t state_seq(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  return tx.exec1("SELECT last_seq FROM projection_state WHERE name = 'orders'")[0].as<std::int64_t>();
}

// (count, min, max) of order_events.seq.
std::tuple<std::int64_t, std::int64_t, std::int64_t> seq_span(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  const auto r = tx.exec1("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM order_events");
  return {r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>()};
}

std::uint32_t table_oid(const std::string& url, const std::string& table) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  return tx.exec1("SELECT '" + table + "'::regclass::oid")[0].as<std::uint32_t>();
}

// The whole projection equals the log, row by row: every event once with
// its mapped columns, every order as the fold of its events, and the
// projection_state at the head. Read in one snapshot.
void expect_projection_equals_log(const eventlog::LogPartitionReader& log, const std::string& url) {
  const Seq head = log.head();
  const auto records = log.read(Seq{1}, head.value + 100);
  ASSERT_TRUE(records.has_value()) << records.error().message();
  ASSERT_EQ(records->size(), head.value);

  pqxx::connection c(url);
  pqxx::transaction<pqxx::repeatable_read> tx(c);

  EXPECT_EQ(tx.exec1("SELECT last_seq FROM projection_state WHERE name = 'orders'")[0].as<std::uint64_t>(),
            head.value);
  const auto events = tx.exec("SELECT seq, order_id::text, type, status, payload::text FROM order_events ORDER BY seq");
  ASSERT_EQ(events.size(), records->size()) << "order_events rows vs log head";

  std::map<OrderId, std::pair<core::OrderState, Seq>> folds;
  for (std::size_t i = 0; i < records->size(); ++i) {
    const eventlog::Record& rec = (*records)[i];
    const auto row = events[static_cast<pqxx::result::size_type>(i)];
    const EventRow expected = event_row(rec);
    ASSERT_EQ(row[0].as<std::uint64_t>(), rec.seq.value) << "row " << i;
    ASSERT_EQ(row[1].as<std::string>(), rec.order.str()) << "seq " << rec.seq.value;
    ASSERT_EQ(row[2].as<std::string>(), expected.type) << "seq " << rec.seq.value;
    ASSERT_EQ(row[3].as<std::string>(), expected.status) << "seq " << rec.seq.value;
    ASSERT_EQ(boost::json::parse(row[4].as<std::string>()), boost::json::parse(expected.payload))
        << "seq " << rec.seq.value << ": " << row[4].as<std::string>() << " vs " << expected.payload;

    const auto ev = core::decode_event(rec.type, rec.payload);
    ASSERT_TRUE(ev.has_value()) << "seq " << rec.seq.value;
    auto& [state, last] = folds[rec.order];
    const auto next = core::apply(state, *ev, rec.ts);
    ASSERT_TRUE(next.has_value()) << "no fold at seq " << rec.seq.value;
    state = *next;
    last = rec.seq;
  }

  const auto orders = tx.exec(
      "SELECT order_id::text, status, attempts, tx_id, amount_out::text, last_error, dex, executed_price::text, "
      "last_seq, amount_in::text, order_type, input_token, output_token, slippage_bps, created_ns, "
      "min_amount_out::text, expires_at_ns, triggered_at_ns, recurring::text, parent_id::text, slice FROM orders");
  ASSERT_EQ(orders.size(), folds.size()) << "orders rows vs distinct orders in the log";
  std::map<std::string, pqxx::row> by_id;
  for (const auto& row : orders) by_id.emplace(row[0].as<std::string>(), row);
  ASSERT_EQ(by_id.size(), folds.size());
  for (const auto& [id, fold] : folds) {
    const auto it = by_id.find(id.str());
    ASSERT_NE(it, by_id.end()) << "no orders row for " << id.str();
    const pqxx::row& row = it->second;
    const OrderRow want = order_row(id, fold.first, fold.second);
    const std::string who = "order " + id.str();
    EXPECT_EQ(row[1].as<std::string>(), want.status) << who;
    EXPECT_EQ(row[2].as<int>(), want.attempts) << who;
    EXPECT_EQ(opt(row[3]), want.tx_id) << who;
    EXPECT_EQ(opt(row[4]), want.amount_out) << who;
    EXPECT_EQ(opt(row[5]), want.last_error) << who;
    EXPECT_EQ(opt(row[6]), want.dex) << who;
    EXPECT_EQ(opt(row[7]), want.executed_price) << who;
    EXPECT_EQ(row[8].as<std::int64_t>(), want.last_seq) << who;
    EXPECT_EQ(row[9].as<std::string>(), want.amount_in) << who;
    EXPECT_EQ(row[10].as<std::string>(), want.order_type) << who;
    EXPECT_EQ(row[11].as<std::string>(), want.input_token) << who;
    EXPECT_EQ(row[12].as<std::string>(), want.output_token) << who;
    EXPECT_EQ(row[13].as<int>(), want.slippage_bps) << who;
    EXPECT_EQ(row[14].as<std::int64_t>(), want.created_ns) << who;
    EXPECT_EQ(opt(row[15]), want.min_amount_out) << who;
    EXPECT_EQ(opt_int(row[16]), want.expires_at_ns) << who;
    EXPECT_EQ(opt_int(row[17]), want.triggered_at_ns) << who;
    // jsonb keeps the value, not the text: compare them parsed.
    const auto parsed = [](const std::optional<std::string>& t) {
      return t ? boost::json::parse(*t) : boost::json::value(nullptr);
    };
    EXPECT_EQ(parsed(opt(row[18])), parsed(want.recurring)) << who;
    EXPECT_EQ(opt(row[19]), want.parent_id) << who;
    EXPECT_EQ(opt_int(row[20]), want.slice) << who;
    if (::testing::Test::HasFailure()) return;  // one order's diff is enough
  }
}

// Every order of the log as a reader folds it from its events.
std::map<OrderId, core::OrderSnapshot> fold_log(const eventlog::LogPartitionReader& log) {
  const auto records = log.read(Seq{1}, log.head().value + 100);
  if (!records) throw std::runtime_error("cannot read the log: " + records.error().message());
  std::map<OrderId, core::OrderSnapshot> orders;
  for (const eventlog::Record& r : *records) {
    auto& o = orders.try_emplace(r.order, core::OrderSnapshot{r.order, {}, {}}).first->second;
    o.state = core::fold_record(o.state, r).state;
    o.last_seq = r.seq;
  }
  return orders;
}

// Projects `log` up to its head with a projector of its own, then stops it.
void project_whole_log(eventlog::LogPartitionWriter& log, const std::string& url) {
  Projector projector(log, ProjectorOptions{.database_url = url});
  projector.start();
  ASSERT_TRUE(projector.wait_applied(log.head(), kDeadline)) << projector.status().last_error;
  projector.stop();
}

// Starts a projector for `log` that must refuse the projection; its error.
std::string refusal(eventlog::LogPartitionWriter& log, const std::string& url) {
  Projector projector(log, ProjectorOptions{.database_url = url});
  projector.start();
  const bool refused = eventually([&] { return projector.status().failures >= 1; });
  projector.stop();
  const auto status = projector.status();
  EXPECT_TRUE(refused) << "a projector for another log started on this projection";
  EXPECT_FALSE(status.connected);
  EXPECT_TRUE(status.foreign_log);
  return status.last_error;
}

class ProjectionTest : public ::testing::Test {
 protected:
  const std::string& url() const { return pg_.url(); }
  eventlog::LogPartitionWriter& log() { return scratch_.log(); }
  core::OrderStore& store() { return scratch_.store(); }

  oee::testing::PgServer pg_;  // started before, stopped after everything else
  oee::testing::ScratchLog scratch_{"projection-test"};
};

// A secondary that cannot catch up with the primary is an error the
// projector reports, not a frozen head that reads as "no lag".
TEST_F(ProjectionTest, AFailedRefreshIsReportedNotMistakenForNoLag) {
  oee::testing::drive_orders(store(), 5, 1);
  oee::testing::FaultyLog faulty(log());
  faulty.fail_refresh = true;
  Projector projector(faulty, ProjectorOptions{.database_url = url(), .secondary = true});
  projector.start();
  ASSERT_TRUE(eventually([&] { return projector.status().failures >= 1; })) << "the failed refresh went unnoticed";
  const auto status = projector.status();
  EXPECT_FALSE(status.connected);
  EXPECT_NE(status.last_error.find("cannot catch up with the event log"), std::string::npos) << status.last_error;
  EXPECT_EQ(status.applied_seq, 0u);

  faulty.fail_refresh = false;
  EXPECT_TRUE(projector.wait_applied(log().head(), kDeadline)) << projector.status().last_error;
  projector.stop();
}

TEST_F(ProjectionTest, ProjectionEqualsAFoldOfTheLogAfterConcurrentLoad) {
  Projector projector(log(), ProjectorOptions{.database_url = url(), .max_batch = 50});
  projector.start();

  constexpr int kThreads = 4, kOrdersPerThread = 25;
  std::vector<std::future<Driven>> drivers;
  for (int t = 0; t < kThreads; ++t) {
    drivers.push_back(std::async(std::launch::async, [this, t] {
      return drive_orders(store(), kOrdersPerThread, 20240601 + static_cast<std::uint64_t>(t));
    }));
  }
  int confirmed = 0, failed = 0, in_flight = 0, retried = 0;
  for (auto& f : drivers) {
    ASSERT_EQ(f.wait_for(2 * kDeadline), std::future_status::ready);
    const Driven d = f.get();  // rethrows a driver's failure
    for (const auto& s : d.states) {
      confirmed += s.status == core::Status::confirmed;
      failed += s.status == core::Status::failed;
      in_flight += !core::is_terminal(s.status);
      retried += s.attempt >= 2;
    }
  }
  EXPECT_TRUE(confirmed > 0 && failed > 0 && in_flight > 0 && retried > 0)  // the mix covers every outcome
      << confirmed << " confirmed, " << failed << " failed, " << in_flight << " in flight, " << retried << " retried";

  const Seq head = log().head();
  ASSERT_GT(head.value, 200u);
  ASSERT_TRUE(projector.wait_applied(head, 30s))
      << "applied " << projector.status().applied_seq << " of " << head.value << ": " << projector.status().last_error;
  const auto status = projector.status();
  EXPECT_TRUE(status.connected);
  EXPECT_EQ(status.applied_seq, head.value);
  EXPECT_GE(status.batches, head.value / 50);  // max_batch bounds every batch

  EXPECT_EQ(count_of(url(), "order_events"), static_cast<std::int64_t>(head.value));
  EXPECT_EQ(count_of(url(), "orders"), kThreads * kOrdersPerThread);
  EXPECT_EQ(state_seq(url()), static_cast<std::int64_t>(head.value));
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  projector.stop();
}

TEST_F(ProjectionTest, PostgresOutageIsCaughtUpWithoutLoss) {
  Projector projector(log(), ProjectorOptions{.database_url = url(), .max_batch = 100});
  projector.start();

  constexpr int kBefore = 30, kDuring = 30;
  (void)drive_orders(store(), kBefore, 1);
  const Seq before = log().head();
  ASSERT_TRUE(projector.wait_applied(before, kDeadline)) << projector.status().last_error;
  ASSERT_TRUE(projector.status().connected);
  EXPECT_EQ(projector.status().failures, 0u);

  pg_.pause();
  (void)drive_orders(store(), kDuring, 2);  // the log keeps taking orders
  const Seq head = log().head();
  ASSERT_GT(head, before);
  // The projector notices when it next tries a batch.
  ASSERT_TRUE(eventually([&] { return !projector.status().connected; }))
      << "the projector did not notice the outage";
  EXPECT_GE(projector.status().failures, 1u);
  EXPECT_FALSE(projector.status().last_error.empty());
  EXPECT_LE(projector.status().applied_seq, before.value);  // nothing was applied without PostgreSQL
  pg_.resume();

  ASSERT_TRUE(projector.wait_applied(head, 60s))
      << "applied " << projector.status().applied_seq << " of " << head.value << ": " << projector.status().last_error;
  EXPECT_TRUE(projector.status().connected);
  EXPECT_GE(projector.status().failures, 1u);
  EXPECT_EQ(count_of(url(), "order_events"), static_cast<std::int64_t>(head.value));
  EXPECT_EQ(count_of(url(), "orders"), kBefore + kDuring);
  EXPECT_EQ(seq_span(url()), std::make_tuple(static_cast<std::int64_t>(head.value), std::int64_t{1},
                                             static_cast<std::int64_t>(head.value)));
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  projector.stop();
}

TEST_F(ProjectionTest, RebuildSwapsInAtomicallyWhileReadersRead) {
  Projector projector(log(), ProjectorOptions{.database_url = url()});
  projector.start();
  constexpr int kOrders = 300;
  (void)drive_orders(store(), kOrders, 3);
  const Seq n = log().head();
  ASSERT_TRUE(projector.wait_applied(n, kDeadline)) << projector.status().last_error;
  ASSERT_EQ(count_of(url(), "order_events"), static_cast<std::int64_t>(n.value));
  const std::uint32_t oid_before = table_oid(url(), "order_events");
  const std::uint32_t orders_oid_before = table_oid(url(), "orders");

  std::mutex mu;
  std::vector<std::pair<std::int64_t, std::int64_t>> samples;
  std::string reader_error;
  std::atomic<bool> stop_reading{false};
  std::thread reader([&] {
    try {
      pqxx::connection c(url());
      while (!stop_reading.load()) {
        // One transaction per statement, as the history API reads: each
        // sees whole tables, old or new. (A transaction holding
        // order_events while it reads orders is the deadlock test below.)
        pqxx::nontransaction tx(c);
        const auto events = tx.exec1("SELECT count(*) FROM order_events")[0].as<std::int64_t>();
        const auto orders = tx.exec1("SELECT count(*) FROM orders")[0].as<std::int64_t>();
        std::lock_guard lock(mu);
        samples.emplace_back(events, orders);
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      reader_error = e.what();
    }
  });
  auto sample_count = [&] {
    std::lock_guard lock(mu);
    return samples.size() + (reader_error.empty() ? 0 : 1'000'000'000u);
  };
  // The reader is reading before the rebuild starts ...
  EXPECT_TRUE(eventually([&] { return sample_count() > 0; }));

  std::vector<RebuildProgress> progress;
  RebuildResult result;
  try {
    result = rebuild(log(), url(), [&](const RebuildProgress& p) { progress.push_back(p); });
  } catch (const std::exception& e) {
    ADD_FAILURE() << "rebuild threw: " << e.what();
  }
  // ... and after the swap.
  const auto after_swap = sample_count();
  EXPECT_TRUE(eventually([&] { return sample_count() > after_swap; }));
  stop_reading = true;
  reader.join();

  EXPECT_EQ(result.events, n.value);
  EXPECT_EQ(result.orders, static_cast<std::uint64_t>(kOrders));
  ASSERT_FALSE(progress.empty()) << "the progress callback was never called";
  EXPECT_EQ(progress.back().done, n.value);
  EXPECT_EQ(progress.back().total, n.value);
  for (std::size_t i = 1; i < progress.size(); ++i) EXPECT_LE(progress[i - 1].done, progress[i].done);

  {
    std::lock_guard lock(mu);
    EXPECT_EQ(reader_error, "") << "a reader failed during the swap";
    ASSERT_FALSE(samples.empty());
    std::size_t partial = 0;
    for (const auto& [events, orders] : samples) {
      if (events != static_cast<std::int64_t>(n.value) || orders != kOrders) {
        if (++partial <= 5) ADD_FAILURE() << "reader saw " << events << " events, " << orders << " orders";
      }
    }
    EXPECT_EQ(partial, 0u) << "of " << samples.size() << " samples";
  }
  EXPECT_NE(table_oid(url(), "order_events"), oid_before) << "order_events was not swapped";
  EXPECT_NE(table_oid(url(), "orders"), orders_oid_before) << "orders was not swapped";
  EXPECT_EQ(state_seq(url()), static_cast<std::int64_t>(n.value));
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));

  // The live projector continues into the swapped-in tables, without duplicates.
  (void)drive_orders(store(), 40, 4);
  const Seq head = log().head();
  ASSERT_GT(head, n);
  ASSERT_TRUE(projector.wait_applied(head, kDeadline))
      << "applied " << projector.status().applied_seq << " of " << head.value << ": " << projector.status().last_error;
  EXPECT_EQ(count_of(url(), "order_events"), static_cast<std::int64_t>(head.value));
  EXPECT_EQ(count_of(url(), "orders"), kOrders + 40);
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  projector.stop();
}

// The swap must wait for a reader that holds order_events and then reads
// orders in the same transaction (an order's events, then the order), not
// deadlock with it: the reader finishes with the old tables, the rebuild
// then swaps.
TEST_F(ProjectionTest, RebuildSwapDoesNotDeadlockAReaderOfBothTables) {
  {
    Projector projector(log(), ProjectorOptions{.database_url = url()});
    projector.start();
    (void)drive_orders(store(), 30, 11);
    ASSERT_TRUE(projector.wait_applied(log().head(), kDeadline)) << projector.status().last_error;
  }
  const auto n = static_cast<std::int64_t>(log().head().value);
  const std::uint32_t oid_before = table_oid(url(), "order_events");

  pqxx::connection reader(url());
  std::optional<pqxx::work> rtx(std::in_place, reader);
  EXPECT_EQ(rtx->exec1("SELECT count(*) FROM order_events")[0].as<std::int64_t>(), n);

  auto rebuilding = std::async(std::launch::async, [&] { return rebuild(log(), url()); });
  // The rebuild gets to its swap and waits for the reader's lock on order_events.
  pqxx::connection monitor(url());
  EXPECT_TRUE(eventually([&] {
    pqxx::nontransaction m(monitor);
    return m.exec1("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'order_events'::regclass")[0]
               .as<int>() > 0;
  })) << "the rebuild never waited for the reader";

  std::string reader_error;
  std::int64_t orders = -1;
  try {
    orders = rtx->exec1("SELECT count(*) FROM orders")[0].as<std::int64_t>();
    rtx->commit();
  } catch (const std::exception& e) {
    reader_error = e.what();
  }
  rtx.reset();
  std::string rebuild_error;
  ASSERT_EQ(rebuilding.wait_for(kDeadline), std::future_status::ready);
  try {
    EXPECT_EQ(rebuilding.get().events, static_cast<std::uint64_t>(n));
  } catch (const std::exception& e) {
    rebuild_error = e.what();
  }
  EXPECT_EQ(reader_error, "") << "the reader was aborted";
  EXPECT_EQ(rebuild_error, "") << "the rebuild was aborted";
  EXPECT_EQ(orders, 30);
  EXPECT_NE(table_oid(url(), "order_events"), oid_before) << "order_events was not swapped";
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
}

// A rebuild replays up to the head it saw when it started; meanwhile the live
// projector may commit further events into the old tables. The swap must not
// drop them: the projection reaches the log head even if nothing more is
// appended, and wait_applied never reports seqs that are not in the tables.
TEST_F(ProjectionTest, RebuildBehindTheLiveProjectorLosesNothing) {
  Projector projector(log(), ProjectorOptions{.database_url = url()});
  projector.start();
  (void)drive_orders(store(), 50, 5);
  ASSERT_TRUE(projector.wait_applied(log().head(), kDeadline)) << projector.status().last_error;
  const std::uint32_t oid_before = table_oid(url(), "order_events");

  bool appended = false, before_swap = false;
  Seq during{};
  const auto result = rebuild(log(), url(), [&](const RebuildProgress& p) {
    if (appended || p.done != p.total) return;
    // Replayed, not yet swapped: the live projector commits past the target.
    appended = true;
    before_swap = table_oid(url(), "order_events") == oid_before;
    (void)drive_orders(store(), 5, 6);
    during = log().head();
    EXPECT_TRUE(projector.wait_applied(during, kDeadline)) << projector.status().last_error;
  });
  ASSERT_TRUE(appended && before_swap) << "the progress callback did not run before the swap";
  // The rebuild covered what the live projector committed past its target.
  EXPECT_EQ(result.events, during.value);
  EXPECT_NE(table_oid(url(), "order_events"), oid_before);

  const Seq head = log().head();  // nothing is appended from here on
  ASSERT_EQ(head, during);
  ASSERT_TRUE(projector.wait_applied(head, kDeadline)) << projector.status().last_error;
  EXPECT_EQ(state_seq(url()), static_cast<std::int64_t>(head.value))
      << "wait_applied(" << head.value << ") returned while projection_state is behind";
  EXPECT_TRUE(eventually([&] { return count_of(url(), "order_events") == static_cast<std::int64_t>(head.value); },
                         10s))
      << "order_events has " << count_of(url(), "order_events") << " rows, the log " << head.value
      << " events (rebuild target " << result.events << "); projector status applied "
      << projector.status().applied_seq << ", projection_state " << state_seq(url());
  EXPECT_EQ(count_of(url(), "orders"), 55);
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  projector.stop();
}

// A data directory made again beside a kept database: its seqs start over
// at 1, and the old rows must not stand in for its events.
TEST_F(ProjectionTest, AProjectionOfAnotherLogIsRefusedUntilRebuiltFromThisOne) {
  (void)drive_orders(store(), 20, 7);
  ASSERT_NO_FATAL_FAILURE(project_whole_log(log(), url()));
  const auto old_seq = state_seq(url());
  const auto old_events = count_of(url(), "order_events");

  oee::testing::ScratchLog other("projection-test-other");
  ASSERT_NE(other.log().id(), log().id());
  (void)drive_orders(other.store(), 3, 8);  // fewer events: seqs the old rows already hold
  ASSERT_LT(other.log().head().value, static_cast<std::uint64_t>(old_seq));
  Projector refused(other.log(), ProjectorOptions{.database_url = url()});
  refused.start();
  ASSERT_TRUE(eventually([&] { return refused.status().failures >= 1; }))
      << "a projector for another log started on this projection";
  EXPECT_FALSE(refused.status().connected);
  EXPECT_NE(refused.status().last_error.find("another event log"), std::string::npos) << refused.status().last_error;
  EXPECT_EQ(state_seq(url()), old_seq);
  EXPECT_EQ(count_of(url(), "order_events"), old_events);

  // Rebuilt from the new log, the projection is that log's, and the
  // refused projector goes on by itself.
  (void)rebuild(other.log(), url());
  (void)drive_orders(other.store(), 2, 9);
  ASSERT_TRUE(refused.wait_applied(other.log().head(), kDeadline)) << refused.status().last_error;
  EXPECT_TRUE(refused.status().connected);
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(other.log(), url()));
  refused.stop();
}

// Projections made before logs had ids (log_id NULL): one that runs past
// the log's end, or holds another order at its last seq, is another log's
// and is refused; one whose last event is this log's is adopted.
TEST_F(ProjectionTest, AProjectionFromBeforeLogIdsIsAdoptedOnlyByItsOwnLog) {
  auto forget_log_id = [&] {
    pqxx::connection c(url());
    pqxx::work tx(c);
    tx.exec("UPDATE projection_state SET log_id = NULL WHERE name = 'orders'");
    tx.commit();
  };
  auto log_id_column = [&] {
    pqxx::connection c(url());
    pqxx::work tx(c);
    return opt(tx.exec1("SELECT log_id FROM projection_state WHERE name = 'orders'")[0]);
  };
  (void)drive_orders(store(), 20, 10);
  ASSERT_NO_FATAL_FAILURE(project_whole_log(log(), url()));
  EXPECT_EQ(log_id_column(), log().id());
  forget_log_id();

  oee::testing::ScratchLog other("projection-test-other");
  (void)drive_orders(other.store(), 3, 11);
  const auto past_the_end = refusal(other.log(), url());
  EXPECT_NE(past_the_end.find("this event log ends at seq"), std::string::npos) << past_the_end;
  EXPECT_EQ(log_id_column(), std::nullopt);
  (void)drive_orders(other.store(), 30, 13);  // now past the old projection's seq
  ASSERT_GT(other.log().head().value, static_cast<std::uint64_t>(state_seq(url())));
  const auto other_order = refusal(other.log(), url());
  EXPECT_NE(other_order.find("holds another order at seq"), std::string::npos) << other_order;
  EXPECT_EQ(log_id_column(), std::nullopt);

  (void)rebuild(other.log(), url());  // not "the log is behind the projection"
  EXPECT_EQ(log_id_column(), other.log().id());
  forget_log_id();
  Projector adopted(other.log(), ProjectorOptions{.database_url = url()});
  adopted.start();
  (void)drive_orders(other.store(), 2, 12);
  ASSERT_TRUE(adopted.wait_applied(other.log().head(), kDeadline)) << adopted.status().last_error;
  EXPECT_EQ(adopted.status().failures, 0U);
  EXPECT_EQ(log_id_column(), other.log().id());
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(other.log(), url()));
  adopted.stop();
}

TEST_F(ProjectionTest, ProjectorRestartsExactlyOnce) {
  const ProjectorOptions options{.database_url = url(), .max_batch = 20, .max_delay = 10ms};
  auto first = std::make_unique<Projector>(log(), options);
  first->start();

  // A writer that keeps the log growing until told to stop.
  std::atomic<bool> stop_load{false};
  auto load = std::async(std::launch::async, [&] {
    int orders = 0;
    for (std::uint64_t round = 0; !stop_load.load(); ++round) {
      orders += static_cast<int>(drive_orders(store(), 10, 100 + round).ids.size());
    }
    return orders;
  });
  auto stop_writer = [&] {
    stop_load = true;
    return load.get();  // rethrows a writer failure
  };
  struct StopOnExit {  // an early ASSERT return must not wait on a writer that never stops
    std::atomic<bool>& flag;
    ~StopOnExit() { flag = true; }
  } stop_on_exit{stop_load};

  const bool batched = eventually([&] { return first->status().batches >= 5; });
  first->stop();  // mid-way: the log keeps growing
  const auto stopped = first->status();
  first.reset();
  if (!batched) stop_writer();
  ASSERT_TRUE(batched) << "the first projector made no progress: " << stopped.last_error;
  ASSERT_GT(stopped.applied_seq, 0u);
  // What the stopped projector committed is whole: exactly seqs 1..applied.
  const auto applied = static_cast<std::int64_t>(stopped.applied_seq);
  EXPECT_EQ(state_seq(url()), applied);
  EXPECT_EQ(seq_span(url()), std::make_tuple(applied, std::int64_t{1}, applied));
  // Let the log run ahead while no projector runs.
  const bool ahead = eventually([&] { return log().head().value >= stopped.applied_seq + 100; });

  Projector second(log(), options);
  second.start();
  const bool second_batched = eventually([&] { return second.status().batches >= 3; });
  const int orders = stop_writer();
  ASSERT_TRUE(ahead) << "the log did not grow";
  ASSERT_TRUE(second_batched) << second.status().last_error;

  const Seq head = log().head();
  ASSERT_TRUE(second.wait_applied(head, kDeadline))
      << "applied " << second.status().applied_seq << " of " << head.value << ": " << second.status().last_error;
  const auto h = static_cast<std::int64_t>(head.value);
  EXPECT_EQ(seq_span(url()), std::make_tuple(h, std::int64_t{1}, h));
  EXPECT_EQ(count_of(url(), "orders"), orders);
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  second.stop();
}

// A limit order's own fields (minAmountOut, expiresAt, triggeredAt) come
// back from the projection: the history list renders it exactly as
// GET /api/orders/{id} does from the log, also after a rebuild; and the
// list filters by order type.
TEST_F(ProjectionTest, ALimitOrderRendersFromTheProjectionAsFromTheLog) {
  const core::TokenId sol = core::token_id("SOL"), usdc = core::token_id("USDC");
  const core::Amount amount_in{2'000'000'000}, floor{300'000'000};
  // Not a whole millisecond: the rendering truncates to milliseconds.
  const TimestampNs expires_at{TimestampNs::now().value + 3'600'000'000'123};
  auto append = [&](const OrderId& id, core::OrderState& state, core::OrderEvent event) {
    auto r = testing::append_and_wait(store(), id, state, std::move(event));
    if (!r) throw std::runtime_error("append failed: " + r.error().message());
    state = std::move(r->state);
  };
  core::OrderSubmitted limit;
  limit.order_type = core::OrderType::limit;
  limit.input_token = sol;
  limit.output_token = usdc;
  limit.amount_in = amount_in;
  limit.min_amount_out = floor;
  limit.expires_at = expires_at;

  // Fired and executed: opened, triggered (attempt 1), routed, sent, confirmed.
  const OrderId fired = OrderId::random();
  core::OrderState fired_state;
  append(fired, fired_state, limit);
  append(fired, fired_state, core::Opened{0});
  append(fired, fired_state,
         core::Triggered{1, sol, usdc, amount_in, {}, core::Venue::meteora, core::Amount{310'000'000}, floor,
                         TimestampNs::now()});
  append(fired, fired_state,
         core::Routed{1, sol, usdc, amount_in, {}, core::Venue::meteora, core::Amount{310'000'000}, floor});
  append(fired, fired_state, core::TxSubmitted{1, core::Venue::meteora, "tx-limit-1", floor});
  append(fired, fired_state,
         core::Confirmed{1, core::Venue::meteora, "tx-limit-1", core::Amount{305'000'000}, sol, usdc, amount_in});
  ASSERT_EQ(fired_state.status, core::Status::confirmed);
  ASSERT_NE(fired_state.triggered_at.value, 0);

  // Still waiting for its price: never triggered.
  const OrderId waiting = OrderId::random();
  core::OrderState waiting_state;
  append(waiting, waiting_state, limit);
  append(waiting, waiting_state, core::Opened{0});
  ASSERT_EQ(waiting_state.status, core::Status::open);

  const OrderId market = OrderId::random();
  core::OrderState market_state;
  core::OrderSubmitted market_submitted;
  market_submitted.input_token = sol;
  market_submitted.output_token = usdc;
  market_submitted.amount_in = core::Amount{1'000'000'000};
  market_submitted.slippage_bps = 50;
  append(market, market_state, market_submitted);
  append(market, market_state, core::RoutingStarted{1});

  HistoryStore history(url());
  auto ids_of = [&](std::optional<core::OrderType> type, std::optional<core::Status> status) {
    HistoryFilter filter;
    filter.order_type = type;
    filter.status = status;
    std::set<std::string> ids;
    const auto page = history.list(filter);
    if (!page) {
      ADD_FAILURE() << "the history list failed";
      return ids;
    }
    for (const auto& o : page->orders) ids.insert(o.id.str());
    return ids;
  };
  auto check = [&] {
    const auto logged = fold_log(log());
    const auto page = history.list(HistoryFilter{});
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->orders.size(), 3u);
    std::map<OrderId, boost::json::object> projected;
    for (const auto& o : page->orders) {
      const auto it = logged.find(o.id);
      ASSERT_NE(it, logged.end()) << o.id.str();
      const auto& l = it->second;
      const auto rendered = core::order_json(o.id, o.state, o.last_seq);
      EXPECT_EQ(boost::json::value(rendered), boost::json::value(core::order_json(l.id, l.state, l.last_seq)))
          << "order " << o.id.str() << " renders differently from the projection than from the log";
      projected.emplace(o.id, rendered);
    }
    ASSERT_EQ(projected.size(), 3u);

    const auto& f = projected.at(fired);
    EXPECT_EQ(std::string_view(f.at("orderType").as_string()), "limit");
    EXPECT_EQ(std::string_view(f.at("status").as_string()), "confirmed");
    ASSERT_TRUE(f.contains("minAmountOut"));
    EXPECT_EQ(std::string_view(f.at("minAmountOut").as_string()), core::format_amount(floor, usdc.decimals()));
    ASSERT_TRUE(f.contains("expiresAt"));
    EXPECT_EQ(f.at("expiresAt").as_int64(), expires_at.value / 1'000'000);
    ASSERT_TRUE(f.contains("triggeredAt"));
    EXPECT_EQ(f.at("triggeredAt").as_int64(), fired_state.triggered_at.value / 1'000'000);

    const auto& w = projected.at(waiting);
    EXPECT_EQ(std::string_view(w.at("status").as_string()), "open");
    EXPECT_TRUE(w.contains("minAmountOut"));
    EXPECT_TRUE(w.contains("expiresAt"));
    EXPECT_FALSE(w.contains("triggeredAt"));

    const auto& m = projected.at(market);
    EXPECT_FALSE(m.contains("minAmountOut"));
    EXPECT_FALSE(m.contains("expiresAt"));
    EXPECT_FALSE(m.contains("triggeredAt"));

    EXPECT_EQ(ids_of(core::OrderType::limit, std::nullopt), (std::set<std::string>{fired.str(), waiting.str()}));
    EXPECT_EQ(ids_of(core::OrderType::market, std::nullopt), std::set<std::string>{market.str()});
    EXPECT_EQ(ids_of(core::OrderType::sniper, std::nullopt), std::set<std::string>{});
    EXPECT_EQ(ids_of(core::OrderType::limit, core::Status::open), std::set<std::string>{waiting.str()});
    EXPECT_EQ(ids_of(std::nullopt, std::nullopt).size(), 3u);
  };

  ASSERT_NO_FATAL_FAILURE(project_whole_log(log(), url()));
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  ASSERT_NO_FATAL_FAILURE(check());

  // A rebuild keeps the columns and the index the type filter uses.
  (void)rebuild(log(), url());
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  ASSERT_NO_FATAL_FAILURE(check());
  pqxx::connection c(url());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"
                     " AND indexdef LIKE '%(order_type, created_ns DESC, order_id DESC)%'")[0]
                .as<int>(),
            1)
      << "the rebuilt orders table has no index for the type filter";
}

// A recurring order and its slices come back from the projection: the
// history list renders the parent, with its children and progress, and
// each slice with its parent, exactly as GET does from the log; also after
// a rebuild, which keeps the index that finds a parent's slices.
TEST_F(ProjectionTest, ARecurringOrderAndItsSlicesRenderFromTheProjectionAsFromTheLog) {
  const core::TokenId sol = core::token_id("SOL"), usdc = core::token_id("USDC");
  auto append = [&](const OrderId& id, core::OrderState& state, core::OrderEvent event) {
    auto r = testing::append_and_wait(store(), id, state, std::move(event));
    if (!r) throw std::runtime_error("append failed: " + r.error().message());
    state = std::move(r->state);
  };
  core::OrderSubmitted recurring;
  recurring.order_type = core::OrderType::recurring;
  recurring.input_token = sol;
  recurring.output_token = usdc;
  recurring.amount_in = core::Amount{3'000'000'001};
  recurring.slippage_bps = 50;
  recurring.recurring = core::RecurringTerms{4, 60, 100'000'000'000'000, 0, true};
  const OrderId parent = OrderId::random();
  core::OrderState parent_state;
  append(parent, parent_state, recurring);
  const TimestampNs start{TimestampNs::now().value};
  append(parent, parent_state, core::RecurringStarted{start});
  // Slice 0 runs and confirms; slice 1 is skipped; slice 2 runs and is under way.
  const auto run_slice = [&](std::uint32_t k, bool confirm) {
    const OrderId child = core::slice_order_id(parent, k);
    const core::Amount amount = core::slice_amount(recurring.amount_in, 4, k);
    const TimestampNs due{start.value + std::int64_t{k} * 60'000'000'000};
    append(parent, parent_state, core::SliceStarted{k, child, amount, due, sol, usdc});
    core::OrderState child_state;
    core::OrderSubmitted slice;
    slice.input_token = sol;
    slice.output_token = usdc;
    slice.amount_in = amount;
    slice.slippage_bps = 50;
    slice.parent = parent;
    slice.slice = k;
    append(child, child_state, slice);
    append(child, child_state, core::RoutingStarted{1});
    if (!confirm) return;
    append(child, child_state, core::Routed{1, sol, usdc, amount, {}, core::Venue::raydium, core::Amount{150'000'000},
                                            core::Amount{149'000'000}});
    append(child, child_state, core::TxSubmitted{1, core::Venue::raydium, "tx-slice", core::Amount{149'000'000}});
    append(child, child_state, core::Confirmed{1, core::Venue::raydium, "tx-slice", core::Amount{150'000'000}, sol,
                                               usdc, amount});
  };
  run_slice(0, true);
  append(parent, parent_state,
         core::SliceSkipped{1, core::slice_amount(recurring.amount_in, 4, 1), TimestampNs{start.value + 60'000'000'000},
                            {}, core::Venue::meteora, core::Amount{90'000'000}, "price below minPrice", sol, usdc});
  run_slice(2, false);
  ASSERT_EQ(parent_state.status, core::Status::active);

  HistoryStore history(url());
  auto check = [&] {
    const auto logged = fold_log(log());
    const auto page = history.list(HistoryFilter{});
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->orders.size(), 3u);
    EXPECT_EQ(page->children.size(), 2u) << "the parent's two slice orders, for its progress";
    for (const auto& o : page->orders) {
      const auto& l = logged.at(o.id);
      std::vector<const core::OrderState*> projected_children, logged_children;
      for (const auto& slice : l.state.slices) {
        if (!slice.child) continue;
        logged_children.push_back(&logged.at(*slice.child).state);
        const auto it = page->children.find(*slice.child);
        projected_children.push_back(it == page->children.end() ? nullptr : &it->second);
      }
      EXPECT_EQ(boost::json::value(core::order_json(o.id, o.state, o.last_seq, projected_children)),
                boost::json::value(core::order_json(l.id, l.state, l.last_seq, logged_children)))
          << "order " << o.id.str() << " renders differently from the projection than from the log";
    }
    const auto& p = *std::find_if(page->orders.begin(), page->orders.end(), [&](const auto& o) { return o.id == parent; });
    EXPECT_EQ(p.state.slices.size(), 3u);
    EXPECT_FALSE(p.state.slices[1].child) << "the skipped slice";
  };
  ASSERT_NO_FATAL_FAILURE(project_whole_log(log(), url()));
  ASSERT_NO_FATAL_FAILURE(expect_projection_equals_log(log(), url()));
  ASSERT_NO_FATAL_FAILURE(check());
  (void)rebuild(log(), url());
  ASSERT_NO_FATAL_FAILURE(check());
  pqxx::connection c(url());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"
                     " AND indexdef LIKE '%(parent_id, slice)%'")[0]
                .as<int>(),
            1)
      << "the rebuilt orders table has no index for a parent's slices";
}

TEST_F(ProjectionTest, MigrationsAreIdempotent) {
  const int n = static_cast<int>(migrations().size());
  ASSERT_GT(n, 0);
  pqxx::connection c(url());
  EXPECT_EQ(migrate(c), n);
  EXPECT_EQ(migrate(c), 0);
  pqxx::connection other(url());  // another process starting later changes nothing either
  EXPECT_EQ(migrate(other), 0);
  EXPECT_EQ(count_of(url(), "schema_migrations"), n);
  EXPECT_EQ(state_seq(url()), 0);  // the seed row is inserted once
  EXPECT_EQ(count_of(url(), "projection_state"), 1);
}

}  // namespace
}  // namespace oee::projections
