#pragma once
// What the waiting-order tests read of an order over HTTP: its status, its
// event names, and waits for a status.

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string status_of(HttpClient& client, const std::string& id) {
  return std::string(client.get("/api/orders/" + id).json().at("status").as_string());
}

inline bool reaches(HttpClient& client, const std::string& id, const std::string& status,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  return eventually([&] { return status_of(client, id) == status; }, timeout);
}

inline std::vector<std::string> event_names(HttpClient& client, const std::string& id) {
  std::vector<std::string> names;
  const boost::json::value history = client.get("/api/orders/" + id + "/events").json();
  for (const auto& e : history.at("events").as_array()) names.emplace_back(e.at("event").as_string());
  return names;
}

inline long count_of(const std::vector<std::string>& names, const std::string& name) {
  return std::count(names.begin(), names.end(), name);
}

}  // namespace oee::e2e
