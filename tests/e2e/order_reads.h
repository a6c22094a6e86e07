#pragma once
// What the waiting-order tests read of an order over HTTP: its status, its
// event names, waits for a status, the checks around a kill mid-execution,
// and the server they run against.

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "harness.h"

namespace oee::e2e {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Base units of a decimal with `places` places ("209.575607", 6 -> 209575607).
inline std::uint64_t units(std::string_view text, int places) {
  const auto dot = text.find('.');
  std::string fraction = dot == std::string_view::npos ? "" : std::string(text.substr(dot + 1));
  fraction.resize(static_cast<std::size_t>(places), '0');
  return std::stoull(std::string(text.substr(0, dot)) + fraction);
}

/// `oee-logdump --verify` passes on the log in `data`.
inline void expect_verifies(const std::filesystem::path& data) {
  const auto verify = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("violations"), std::string::npos) << verify.out;
}

/// The order as GET answers it, or nothing while the server has none of
/// that id (404: a recurring order names a slice's child (sliceStarted) a
/// moment before the child's own first event lands) or cannot say yet (503:
/// a cluster node whose lease lapsed while its servers were away answers
/// no order until it knows its fold is whole). Any other answer is a failure
/// of its own, with its body.
inline std::optional<boost::json::object> order_if_any(HttpClient& client, const std::string& id) {
  const auto res = client.get("/api/orders/" + id);
  if (res.status == 404 || res.status == 503) return std::nullopt;
  if (res.status != 200)
    throw std::runtime_error("GET /api/orders/" + id + " answered " + std::to_string(res.status) + ": " + res.body);
  return res.json().as_object();
}

/// An order's status, or "absent" while the server has none of that id or
/// cannot say yet.
inline std::string status_of(HttpClient& client, const std::string& id) {
  const auto order = order_if_any(client, id);
  return order ? std::string(order->at("status").as_string()) : "absent";
}

inline bool reaches(HttpClient& client, const std::string& id, const std::string& status,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  return eventually([&] { return status_of(client, id) == status; }, timeout);
}

/// Whether every one of `ids` ends, confirmed or failed, within `timeout`.
inline bool all_finish(HttpClient& client, const std::vector<std::string>& ids,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return eventually(
      [&] {
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          const auto status = status_of(client, id);
          return status == "confirmed" || status == "failed";
        });
      },
      timeout);
}

inline std::vector<std::string> event_names(HttpClient& client, const std::string& id) {
  std::vector<std::string> names;
  const boost::json::value history = client.get("/api/orders/" + id + "/events").json();
  for (const auto& e : history.at("events").as_array()) names.emplace_back(e.at("event").as_string());
  return names;
}

/// How many records of the log an order's events are: a routedAndSent
/// shows as several messages with its one seq.
inline std::size_t record_count(HttpClient& client, const std::string& id) {
  std::set<std::uint64_t> seqs;
  const boost::json::value history = client.get("/api/orders/" + id + "/events").json();
  for (const auto& e : history.at("events").as_array()) seqs.insert(e.at("seq").to_number<std::uint64_t>());
  return seqs.size();
}

inline long count_of(const std::vector<std::string>& names, const std::string& name) {
  return std::count(names.begin(), names.end(), name);
}

/// Whether one of `ids` comes to be between its trigger and its
/// transaction (routing or building): the moment to kill the server.
inline bool one_is_mid_execution(HttpClient& client, const std::vector<std::string>& ids) {
  return eventually(
      [&] {
        return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
          const std::string status = status_of(client, id);
          return status == "routing" || status == "building";
        });
      },
      std::chrono::seconds(10));
}

/// Each of `ids` is confirmed, with exactly one trigger, one transaction
/// and one confirmation.
inline void expect_each_executed_once(HttpClient& client, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    ASSERT_TRUE(reaches(client, id, "confirmed", std::chrono::seconds(30))) << id << " " << status_of(client, id);
    const auto names = event_names(client, id);
    EXPECT_EQ(count_of(names, "triggered"), 1) << id;
    EXPECT_EQ(count_of(names, "txSubmitted"), 1) << id;
    EXPECT_EQ(count_of(names, "confirmed"), 1) << id;
  }
}

/// A fresh server for each test, in the fast profile, with --sim-control, a
/// watcher that looks every 20 ms and no launches but the test's own.
class SimControlServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.path() / "data", std::vector<std::string>{"--sim", "fast", "--sim-control", "--watch-interval", "20",
                                                       "--sim-launch-every", "0"});
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace oee::e2e
