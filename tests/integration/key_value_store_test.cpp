// The store beside the log (the simulated chain's ledger): what it
// acknowledged survives a reopen, a reader sees it beside the writer,
// racing creates store a key once, and a
// full disk refuses writes without taking the process down, until space is
// freed.

#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "eventlog/key_value_store.h"
#include "eventually.h"
#include "scratch_log.h"
#include "small_disk.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::eventlog {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> everything(const KeyValueStore& store) {
  std::map<std::string, std::string> out;
  const auto ec = store.for_each([&](std::string_view k, std::string_view v) { out.emplace(k, v); });
  EXPECT_FALSE(ec) << ec.message();
  return out;
}

TEST(KeyValueStore, WhatWasPutIsThereAfterAReopenAndToAReaderBesideTheWriter) {
  const oee::testing::TempDir dir("kv");
  const std::string path = (dir.path() / "store").string();
  std::map<std::string, std::string> expected;
  {
    auto store = open_rocksdb_store(StoreOptions{.path = path});
    for (int i = 0; i < 1000; ++i) {
      const std::string key = "tx" + std::to_string(i);
      ASSERT_FALSE(store->put(key, std::to_string(i * 7)));
      expected[key] = std::to_string(i * 7);
    }
    ASSERT_FALSE(store->put("tx1", "overwritten"));
    expected["tx1"] = "overwritten";
    auto value = store->get("tx1");
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, std::optional<std::string>("overwritten"));
    auto missing = store->get("never");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());

    auto reader = open_rocksdb_store(StoreOptions{.path = path, .read_only = true});
    EXPECT_EQ(everything(*reader), expected);
    EXPECT_EQ(reader->put("k", "v"), make_error_code(Errc::read_only));
    EXPECT_EQ(store->write_error(), "");
  }
  auto reopened = open_rocksdb_store(StoreOptions{.path = path});
  EXPECT_EQ(everything(*reopened), expected);
}

// Keys of any length, many sharing their first bytes, spread over several
// table files and the memtables (a small write buffer): each is found, a
// full scan returns each once in byte order, and creating one again is
// answered with its value.
TEST(KeyValueStore, KeysOfAnyLengthAreFoundAndScannedInOrderAcrossFlushes) {
  const oee::testing::TempDir dir("kv");
  auto store = open_rocksdb_store(StoreOptions{.path = (dir.path() / "store").string(), .write_buffer_bytes = 64 << 10});
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 6000; ++i) {
    std::string key;
    switch (i % 3) {
      case 0: key = std::to_string(i); break;                                 // shorter than any hashed prefix
      case 1: key = std::string(40, 'S') + std::to_string(i); break;         // one long shared prefix
      default: key = std::to_string(i * 2654435761U) + std::string(60, 'x');  // scattered
    }
    const std::string value = std::to_string(i);
    ASSERT_FALSE(store->put(key, value));
    expected[key] = value;
  }
  // In the order the scan gives them: byte order, each once.
  std::vector<std::pair<std::string, std::string>> scanned;
  ASSERT_FALSE(store->for_each([&](std::string_view k, std::string_view v) { scanned.emplace_back(k, v); }));
  EXPECT_EQ(scanned, (std::vector<std::pair<std::string, std::string>>(expected.begin(), expected.end())));
  for (const auto& [key, value] : expected) {
    const auto held = store->get(key);
    ASSERT_TRUE(held) << key;
    ASSERT_EQ(*held, std::optional<std::string>(value)) << key;
  }
  const std::string long_key = std::string(40, 'S') + "4";
  const std::vector<KeyValueStore::Entry> again{{"3", "other"}, {long_key, "other"}, {"new", "v"}};
  const auto created = store->create_all(again);
  ASSERT_EQ(created.size(), 3U);
  ASSERT_TRUE(created[0] && created[1] && created[2]);
  EXPECT_EQ(*created[0], std::optional<std::string>("3"));
  EXPECT_EQ(*created[1], std::optional<std::string>("4"));
  EXPECT_EQ(*created[2], std::optional<std::string>());
  const auto empty_key = store->get("");
  ASSERT_TRUE(empty_key);
  EXPECT_FALSE(empty_key->has_value());
}

// Two writers racing to create the same keys: each key is stored once, and
// each writer is told either that it stored it or what the other did.
TEST(KeyValueStore, CreatesRacingForOneKeyStoreItOnceAndTellTheLoserTheValue) {
  const oee::testing::TempDir dir("kv");
  auto store = open_rocksdb_store(StoreOptions{.path = (dir.path() / "store").string()});
  ASSERT_FALSE(store->put("held", "before"));
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("tx" + std::to_string(i));
  keys.emplace_back("held");
  std::vector<std::vector<KeyValueStore::Created>> answers(2);
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      const std::string value = "by-" + std::to_string(w);
      std::vector<KeyValueStore::Entry> entries;
      for (const auto& k : keys) entries.push_back({k, value});
      answers[w] = store->create_all(entries);
    });
  }
  for (auto& t : writers) t.join();
  const auto stored = everything(*store);
  EXPECT_EQ(stored.at("held"), "before");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::set<std::string> claimed;
    for (int w = 0; w < 2; ++w) {
      const auto& a = answers[w][i];
      ASSERT_TRUE(a) << a.error().message();
      claimed.insert(a->has_value() ? **a : "by-" + std::to_string(w));
    }
    EXPECT_EQ(claimed, std::set<std::string>{stored.at(keys[i])}) << keys[i] << ": the writers disagree";
  }
}

TEST(KeyValueStore, AMissingStoreCannotBeOpenedForReading) {
  const oee::testing::TempDir dir("kv-missing");
  EXPECT_THROW((void)open_rocksdb_store(StoreOptions{.path = (dir.path() / "none").string(), .read_only = true}),
               std::runtime_error);
}

// Debian's RocksDB asserts when a file writer that saw an error is written
// again: a store that reused its database after a failed put died here.
TEST(KeyValueStore, AFullDiskRefusesWritesThenTheyResumeOnceSpaceIsFreed) {
  if (const auto why = oee::testing::SmallDisk::cannot_mount()) GTEST_SKIP() << *why;
  oee::testing::SmallDisk disk(oee::testing::unique_temp_path("kv-full"), "24m");
  ASSERT_TRUE(disk.mounted());
  const std::string path = (disk.path() / "store").string();
  std::map<std::string, std::string> acknowledged;
  const std::string value(4096, 'v');
  {
    auto store = open_rocksdb_store(StoreOptions{.path = path});
    ASSERT_GT(oee::testing::fill_disk(disk.path() / "ballast"), 0u);
    std::error_code refused;
    for (int i = 0; i < 100'000 && !refused; ++i) {
      const std::string key = "tx" + std::to_string(i);
      refused = store->put(key, value + key);
      if (!refused) acknowledged[key] = value + key;
    }
    ASSERT_EQ(refused, make_error_code(Errc::unavailable)) << "the disk never filled up";
    EXPECT_NE(store->write_error().find("No space left"), std::string::npos) << store->write_error();
    // Refused again, however often it is asked, and the process lives on.
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(store->put("more" + std::to_string(i), value));

    std::filesystem::remove(disk.path() / "ballast");
    ASSERT_TRUE(oee::testing::eventually_true([&] { return !store->put("after", "freed"); }, 10s))
        << store->write_error();
    acknowledged["after"] = "freed";
    EXPECT_EQ(store->write_error(), "");
    for (const auto& [k, v] : acknowledged) {
      auto got = store->get(k);
      ASSERT_TRUE(got) << got.error().message();
      ASSERT_EQ(*got, std::optional<std::string>(v)) << k;
    }
  }
  auto reopened = open_rocksdb_store(StoreOptions{.path = path});
  auto stored = everything(*reopened);
  for (const auto& [k, v] : acknowledged) EXPECT_EQ(stored[k], v) << "acknowledged " << k << " is gone";
  reopened.reset();
}

}  // namespace
}  // namespace oee::eventlog
