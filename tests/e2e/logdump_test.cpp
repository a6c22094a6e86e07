// oee-logdump as a real process: golden output, filters, verify on a damaged
// log, follow beside a running server, and the server refusing a damaged log.

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <functional>
#include <future>

#include <boost/json.hpp>
#include <rocksdb/db.h>

#include "core/wire/event_codec.h"
#include "core/engine/order_store.h"
#include "core/engine/sim_chain.h"
#include "eventlog/key_value_store.h"
#include "eventlog/detail/order_index.h"
#include "eventlog/record_codec.h"
#include "harness.h"
#include "log_futures.h"
#include "eventlog/rocksdb/rocksdb_log.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const OrderId kOrder = *OrderId::parse("11111111-2222-4333-8444-555555555555");
// The signature the simulated chain gives kOrder's first attempt
// (SimChain::tx_id), so that --verify finds the transaction it decided.
const std::string kTx = "GdXYnxRXvkt1LUVKnopFkQXLMCJesLpPQBo4x1S6FAj8dnbxfAdZu8B5UjPmf2pvUX2whqfwcRGW48wXan4RWYR";
constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;

void append_sync(eventlog::EventLogWriter& log, eventlog::AppendCommand cmd) {
  ASSERT_TRUE(oee::testing::append_wait(log, std::move(cmd)).has_value());
}

// `events` of kOrder, 1.5 ms apart from kT0, written the way the engine
// writes them (event, snapshot, whether it finishes the order).
void write_log(const fs::path& dir, const std::vector<core::OrderEvent>& events) {
  auto log = eventlog::open_primary({.path = (dir / "log").string(),
                                     .durability = eventlog::Durability::async,
                                     .fold = core::fold_for_log});
  core::OrderState state;
  std::int64_t ts = kT0;
  for (const auto& e : events) {
    const bool first = state.status == core::Status::none;
    state = *core::apply(state, e, TimestampNs{ts});
    eventlog::AppendCommand cmd;
    cmd.order = kOrder;
    cmd.ts = TimestampNs{ts};
    cmd.type = static_cast<std::uint8_t>(core::type_of(e));
    cmd.payload = core::encode_event(e);
    cmd.snapshot = core::encode_snapshot(state);
    cmd.finishes = core::is_terminal(state.status);
    cmd.begins = first;
    append_sync(*log, std::move(cmd));
    ts += 1'500'000;
  }
  log->close();
}

// One confirmed order with fixed ids and times, written the way the engine
// writes it (event, snapshot, finishing), so its dump is byte-for-byte stable.
void write_golden_log(const fs::path& dir) {
  core::Quote raydium{core::Venue::raydium, core::Amount{2'000'000'000}, core::Amount{299'100'000}, 25, 3,
                      core::Amount{}, core::Amount{}};
  core::Quote meteora{core::Venue::meteora, core::Amount{2'000'000'000}, core::Amount{300'200'000}, 20, 3,
                      core::Amount{}, core::Amount{}};
  const std::vector<core::OrderEvent> events{
      core::OrderSubmitted{core::OrderType::market, core::token_id("SOL"), core::token_id("USDC"),
                           core::Amount{2'000'000'000}, 100, ""},
      core::RoutingStarted{1},
      core::Routed{1,
                   core::token_id("SOL"),
                   core::token_id("USDC"),
                   core::Amount{2'000'000'000},
                   {raydium, meteora},
                   core::Venue::meteora,
                   core::Amount{300'200'000},
                   core::Amount{297'198'000}},
      core::TxSubmitted{1, core::Venue::meteora, kTx, core::Amount{297'198'000}},
      core::Confirmed{1, core::Venue::meteora, kTx, core::Amount{300'100'000}, core::token_id("SOL"),
                      core::token_id("USDC"), core::Amount{2'000'000'000}},
  };
  write_log(dir, events);
}

TEST(LogDump, TextOutputIsStable) {
  TempDir dir;
  write_golden_log(dir.path());
  const auto r = run({kLogdump, "--data-dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "       1  2023-11-14T22:13:20.000000000Z  11111111-2222-4333-8444-555555555555  submitted      pending   "
            "attempt=0 orderType=market inputToken=SOL outputToken=USDC amountIn=2 slippage=0.01\n"
            "       2  2023-11-14T22:13:20.001500000Z  11111111-2222-4333-8444-555555555555  routingStarted routing   "
            "attempt=1\n"
            "       3  2023-11-14T22:13:20.003000000Z  11111111-2222-4333-8444-555555555555  routed         building  "
            "attempt=1 dex=meteora quotes=[{\"dex\":\"raydium\",\"amountOut\":\"299.1\",\"price\":\"149.55\","
            "\"fee\":\"0.0025\",\"priceImpact\":\"0.0003\"},{\"dex\":\"meteora\",\"amountOut\":\"300.2\",\"price\":"
            "\"150.1\",\"fee\":\"0.002\",\"priceImpact\":\"0.0003\"}] expectedOut=300.2 minOut=297.198\n"
            "       4  2023-11-14T22:13:20.004500000Z  11111111-2222-4333-8444-555555555555  txSubmitted    submitted "
            "attempt=1 dex=meteora txHash=" + kTx + "\n"
            "       5  2023-11-14T22:13:20.006000000Z  11111111-2222-4333-8444-555555555555  confirmed      confirmed "
            "attempt=1 dex=meteora txHash=" + kTx + " amountOut=300.1 executedPrice=150.05 legs=[{\"venue\":\"meteora\","
            "\"amountIn\":\"2\",\"amountOut\":\"300.1\",\"txHash\":\"" + kTx + "\",\"status\":\"confirmed\"}] terminal=true\n");
}

TEST(LogDump, JsonLinesUseTheStreamFieldNames) {
  TempDir dir;
  write_golden_log(dir.path());
  const auto r = run({kLogdump, "--data-dir", dir.path().string(), "--format", "json", "--type", "confirmed"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"seq\":5,\"ts\":1700000000006000000,\"orderId\":\"11111111-2222-4333-8444-555555555555\","
            "\"type\":\"confirmed\",\"event\":\"confirmed\",\"status\":\"confirmed\",\"attempt\":1,"
            "\"dex\":\"meteora\",\"txHash\":\"" + kTx + "\",\"amountOut\":\"300.1\",\"executedPrice\":\"150.05\","
            "\"legs\":[{\"venue\":\"meteora\",\"amountIn\":\"2\",\"amountOut\":\"300.1\",\"txHash\":\"" + kTx +
            "\",\"status\":\"confirmed\"}],\"terminal\":true}\n");
}

std::vector<std::uint64_t> seqs_of(const std::string& json_lines) {
  std::vector<std::uint64_t> out;
  std::istringstream in(json_lines);
  std::string line;
  while (std::getline(in, line)) out.push_back(boost::json::parse(line).at("seq").to_number<std::uint64_t>());
  return out;
}

// The seqs `oee-logdump --format json` prints for the log in `data_dir`.
std::vector<std::uint64_t> dumped_seqs(const std::string& data_dir, std::vector<std::string> extra) {
  std::vector<std::string> argv{kLogdump, "--data-dir", data_dir, "--format", "json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto r = run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return seqs_of(r.out);
}

TEST(LogDump, FiltersSelectEvents) {
  TempDir dir;
  write_golden_log(dir.path());
  const std::string d = dir.path().string();
  auto seqs = [&](std::vector<std::string> extra) { return dumped_seqs(d, std::move(extra)); };
  EXPECT_EQ(seqs({"--from", "2", "--to", "3"}), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(seqs({"--status", "building"}), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(seqs({"--order", kOrder.str(), "--from", "4"}), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_TRUE(seqs({"--order", "99999999-2222-4333-8444-555555555555"}).empty());
  const auto stats = run({kLogdump, "--data-dir", d, "--stats", "--format", "json"});
  ASSERT_EQ(stats.exit_code, 0);
  const auto s = boost::json::parse(stats.out);
  EXPECT_EQ(s.at("events").to_number<int>(), 5);
  EXPECT_EQ(s.at("lastSeq").to_number<int>(), 5);
  EXPECT_EQ(s.at("orders").at("confirmed").to_number<int>(), 1);
  EXPECT_EQ(s.at("byType").at("routed").to_number<int>(), 1);
}

// Long dumps are read ahead on a second thread in batches of 4,096: every
// event comes out once and in seq order across many batches, and a range
// that starts and ends inside batches is cut exactly.
TEST(LogDump, LongDumpsKeepEveryEventInOrder) {
  TempDir dir;
  constexpr std::uint64_t kEvents = 30'000;  // 8 batches, more than the read-ahead holds
  {
    auto log = eventlog::open_primary({.path = (dir.path() / "log").string(),
                                       .durability = eventlog::Durability::async,
                                       .fold = core::fold_for_log});
    std::vector<std::promise<void>> done(kEvents);
    const core::OrderEvent submitted = core::OrderSubmitted{
        core::OrderType::market, core::token_id("SOL"), core::token_id("USDC"), core::Amount{1'000'000'000}, 100, ""};
    for (std::uint64_t i = 0; i < kEvents; ++i) {
      OrderId::Bytes b{};
      std::memcpy(b.data(), &i, sizeof i);
      eventlog::AppendCommand cmd;
      cmd.order = OrderId{b};
      cmd.ts = TimestampNs{kT0 + static_cast<std::int64_t>(i)};
      cmd.type = static_cast<std::uint8_t>(core::type_of(submitted));
      cmd.payload = core::encode_event(submitted);
      log->append(std::move(cmd), [&done, i](eventlog::Result<eventlog::AppendOutcome> r) {
        EXPECT_TRUE(r.has_value());
        done[i].set_value();
      });
    }
    for (auto& d : done) d.get_future().wait();
    log->close();
  }
  const std::string d = dir.path().string();
  auto dumped = [&](std::vector<std::string> extra) { return dumped_seqs(d, std::move(extra)); };
  auto range = [](std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> v;
    for (auto s = from; s <= to; ++s) v.push_back(s);
    return v;
  };
  EXPECT_EQ(dumped({}), range(1, kEvents));
  EXPECT_EQ(dumped({"--from", "4000", "--to", "20000"}), range(4000, 20000));
}

TEST(LogDump, ClearErrorsAndNonZeroExit) {
  TempDir dir;
  write_golden_log(dir.path());
  const std::string d = dir.path().string();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"--data-dir", (dir.path() / "missing").string()}, "no such directory"},
      {{"--data-dir", fs::temp_directory_path().string()}, "no oee event log"},
      {{"--data-dir", d, "--type", "teleported"}, "unknown event type"},
      {{"--data-dir", d, "--status", "done"}, "unknown status"},
      {{"--data-dir", d, "--order", "42"}, "not an order id"},
      {{"--data-dir", d, "--from", "9", "--to", "3"}, "--from must not be after --to"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{kLogdump};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run(argv);
    EXPECT_NE(r.exit_code, 0) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  }
}

// Rewrites the stored value at `key` of one column family of a stopped log,
// the way damage or a forger would.
void rewrite(const fs::path& log_dir, const std::string& family_name, const std::string& key,
             const std::function<void(std::string&)>& change) {
  // RocksDB opens a database only with all its column families, whatever
  // this log's format names them.
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), log_dir.string(), &names).ok());
  const auto found = std::find(names.begin(), names.end(), family_name);
  ASSERT_NE(found, names.end()) << "no " << family_name << " family";
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), log_dir.string(), cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto* family = handles[static_cast<std::size_t>(found - names.begin())];
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), family, key, &value).ok()) << family_name << " has no such key";
  change(value);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), family, key, value).ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

// Flips one byte in the middle of the stored value of `seq`, the way a bad
// disk would, underneath the log's own API.
void corrupt(const fs::path& log_dir, std::uint64_t seq) {
  rewrite(log_dir, "events", eventlog::encode_seq_key(Seq{seq}),
          [](std::string& value) { value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x5A); });
}

// A limit order fired on `quotes` (recomputed from their pools unless
// `claimed_out` overrides the chosen one's output).
std::vector<core::OrderEvent> limit_order_events(std::uint64_t claimed_out = 0) {
  core::OrderSubmitted submitted{core::OrderType::limit, core::token_id("SOL"), core::token_id("USDC"),
                                 core::Amount{2'000'000'000}, 0, ""};
  submitted.min_amount_out = core::Amount{300'000'000};
  submitted.expires_at = TimestampNs{kT0 + 3'600'000'000'000};
  const core::Pool raydium_pool{core::Amount{100'000'000'000'000}, core::Amount{15'200'000'000'000}, 25};
  const core::Pool meteora_pool{core::Amount{100'000'000'000'000}, core::Amount{15'100'000'000'000}, 20};
  std::vector<core::Quote> quotes{core::quote_pool(core::Venue::raydium, raydium_pool, submitted.amount_in),
                                  core::quote_pool(core::Venue::meteora, meteora_pool, submitted.amount_in)};
  if (claimed_out != 0) quotes[0].amount_out = core::Amount{claimed_out};
  return {submitted, core::Opened{0},
          core::Triggered{1, submitted.input_token, submitted.output_token, submitted.amount_in, quotes,
                          core::Venue::raydium, quotes[0].amount_out, submitted.min_amount_out, TimestampNs{kT0}}};
}

TEST(LogDump, VerifyRechecksThatEveryTriggerMetItsThresholdOnItsRecordedPools) {
  TempDir honest;
  const auto events = limit_order_events();
  ASSERT_GE(std::get<core::Triggered>(events[2]).expected_out, core::Amount{300'000'000}) << "the setup fires";
  write_log(honest.path(), events);
  const auto ok = run({kLogdump, "--data-dir", honest.path().string(), "--verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const auto dump = run({kLogdump, "--data-dir", honest.path().string(), "--type", "triggered"});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("triggered"), std::string::npos) << dump.out;
  EXPECT_EQ(dump.out.find("opened"), std::string::npos) << dump.out;

  // A trigger whose recorded quote claims more than its recorded pool pays.
  TempDir forged;
  write_log(forged.path(), limit_order_events(310'000'000));
  const auto bad = run({kLogdump, "--data-dir", forged.path().string(), "--verify"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("at seq 3:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("triggered"), std::string::npos) << bad.err;
}

// What the log keeps besides the events is checked against them: a
// finished order's record that lost an event, and a checkpoint that lost an
// open order, each fail the audit, naming the order.
TEST(LogDump, VerifyChecksFinishedRecordsAndTheCheckpointAgainstTheEvents) {
  TempDir finished;
  write_golden_log(finished.path());
  ASSERT_EQ(run({kLogdump, "--data-dir", finished.path().string(), "--verify"}).exit_code, 0);
  rewrite(finished.path() / "log", "finished", std::string(kOrder.view()), [](std::string& value) {
    auto record = eventlog::detail::decode_order_record(kOrder, value);
    ASSERT_TRUE(record.has_value());
    record->seqs.erase(record->seqs.begin());
    value = eventlog::detail::encode_order_record(record->snapshot, record->seqs);
  });
  const auto short_record = run({kLogdump, "--data-dir", finished.path().string(), "--verify"});
  EXPECT_EQ(short_record.exit_code, 1);
  EXPECT_NE(short_record.err.find("the record of " + kOrder.str()), std::string::npos) << short_record.err;

  TempDir open;
  const auto events = limit_order_events();  // ends triggered: still open, in the checkpoint close() writes
  write_log(open.path(), events);
  ASSERT_EQ(run({kLogdump, "--data-dir", open.path().string(), "--verify"}).exit_code, 0);
  rewrite(open.path() / "log", "checkpoints", eventlog::encode_seq_key(Seq{events.size()}),
          [](std::string& value) { value = eventlog::detail::OrderIndex{}.encode_checkpoint(); });
  const auto no_order = run({kLogdump, "--data-dir", open.path().string(), "--verify"});
  EXPECT_EQ(no_order.exit_code, 1);
  EXPECT_NE(no_order.err.find("misses open order " + kOrder.str()), std::string::npos) << no_order.err;
}

TEST(LogDump, VerifyNamesTheDamagedSeqAndTheServerRefusesToStart) {
  TempDir dir;
  // A real server writes a confirmed order and leaves a second one in flight.
  std::string in_flight;
  {
    ServerProcess server(dir.path() / "data", {"--sim", "realistic", "--fail-rate", "0"});
    server.start();
    HttpClient client(server.port());
    const auto first = client.post_json("/api/orders/execute", order_body());
    ASSERT_EQ(first.status, 202);
    ASSERT_TRUE(eventually(
        [&] {
          return client.get("/api/orders/" + std::string(first.json().at("orderId").as_string()))
              .json()
              .at("terminal")
              .as_bool();
        },
        20s));
    const auto second = client.post_json("/api/orders/execute", order_body());
    ASSERT_EQ(second.status, 202);
    in_flight = std::string(second.json().at("orderId").as_string());
    // Past its first event (seq 4, so not the tail), far from terminal.
    ASSERT_TRUE(eventually(
        [&] { return client.get("/api/orders/" + in_flight).json().at("status") != "pending"; }, 10s));
    server.kill9();
  }
  const std::string data = (dir.path() / "data").string();
  const auto clean = run({kLogdump, "--data-dir", data, "--verify"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  // Damage an event of the finished order: verify names it.
  corrupt(dir.path() / "data" / "log", 3);
  const auto damaged = run({kLogdump, "--data-dir", data, "--verify"});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("at seq 3:"), std::string::npos) << damaged.err;

  // Damage the unfinished order's first event: the server will not resume it.
  // Killed, the server left no checkpoint past these events unless it came
  // to rest: starting, it folds them and stops at the first damaged one
  // (seq 3), or, with a checkpoint past them, stops at the unfinished order
  // whose events do not read. Either way it says where and what to do.
  corrupt(dir.path() / "data" / "log", 4);
  ChildProcess server({kServer, "--data-dir", data, "--port", "0"});
  EXPECT_EQ(server.wait(), 2);
  const auto err = server.stderr_text();
  EXPECT_TRUE(err.find(in_flight) != std::string::npos || err.find("seq 3") != std::string::npos) << err;
  EXPECT_NE(err.find("oee-logdump"), std::string::npos) << err;
  EXPECT_NE(err.find("will not skip"), std::string::npos) << err;
}

// The log can look clean while the chain executed twice: --verify reads
// the chain's ledger too. A real server settles orders, some of whose first
// transactions the chain drops; one such refusal is then turned into a
// landing in the ledger, as a second execution would leave it.
TEST(LogDump, VerifyFindsATransactionTheChainLandedAndTheLogDoesNotConfirm) {
  TempDir dir;
  const auto data = dir.path() / "data";
  std::vector<std::string> ids;
  {
    ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0.5"});
    server.start();
    HttpClient client(server.port());
    for (int i = 0; i < 12; ++i) {
      const auto res = client.post_json("/api/orders/execute", order_body());
      ASSERT_EQ(res.status, 202) << res.body;
      ids.emplace_back(res.json().at("orderId").as_string());
    }
    ASSERT_TRUE(eventually(
        [&] {
          return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
            return client.get("/api/orders/" + id).json().at("terminal").as_bool();
          });
        },
        30s));
    ASSERT_EQ(server.terminate(), 0);
  }
  const auto clean = run({kLogdump, "--data-dir", data.string(), "--verify"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("ledger ok:"), std::string::npos) << clean.out;
  // The report counts refusals by kind: half the first sends were dropped.
  EXPECT_NE(clean.out.find("refused (slippage"), std::string::npos) << clean.out;
  EXPECT_EQ(clean.out.find("dropped 0,"), std::string::npos) << "no dropped transaction counted: " << clean.out;

  std::string refused_tx;
  {
    auto ledger = eventlog::open_rocksdb_store(eventlog::StoreOptions{.path = (data / "simchain" / "ledger").string()});
    ASSERT_FALSE(ledger->for_each([&](std::string_view tx, std::string_view value) {
      const auto outcome = core::parse_ledger_value(value);
      if (refused_tx.empty() && outcome && outcome->outcome == core::TxOutcome::dropped) refused_tx = tx;
    }));
    ASSERT_FALSE(refused_tx.empty()) << "no transaction was dropped at a fail rate of 0.5";
    ASSERT_FALSE(ledger->put(refused_tx, core::ledger_value(core::Amount{1'000'000})));
  }
  const auto doubled = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(doubled.exit_code, 1) << doubled.out;
  EXPECT_NE(doubled.err.find(refused_tx), std::string::npos) << doubled.err;
  EXPECT_NE(doubled.err.find("executed twice"), std::string::npos) << doubled.err;
}

TEST(LogDump, FollowStreamsBesideARunningServer) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  ChildProcess follow({kLogdump, "--data-dir", (dir.path() / "data").string(), "--format", "json", "--follow"});
  // Then more orders while it follows.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  // Four orders of three records each, every record once and in order; a
  // routedAndSent record is a line per message it shows as, with its seq.
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> types;
  for (int lines = 0; lines < 20; ++lines) {
    auto line = follow.read_line(10s);
    ASSERT_TRUE(line.has_value()) << "follow stalled after " << lines << " lines";
    const auto m = boost::json::parse(*line);
    const auto seq = m.at("seq").to_number<std::uint64_t>();
    const std::string type(m.at("type").as_string());
    if (!seqs.empty() && seqs.back() == seq) {
      EXPECT_EQ(type, "routedAndSent") << "only a routedAndSent record is more than one line";
      continue;
    }
    seqs.push_back(seq);
    types.push_back(type);
  }
  ASSERT_EQ(seqs.size(), 12u);
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  for (const char* type : {"submitted", "routedAndSent", "confirmed"}) {
    EXPECT_EQ(std::count(types.begin(), types.end(), type), 4) << type;
  }
  follow.signal(SIGINT);
  EXPECT_EQ(follow.wait(), 0);
  const auto verify = run({kLogdump, "--data-dir", (dir.path() / "data").string(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
}

}  // namespace
}  // namespace oee::e2e
