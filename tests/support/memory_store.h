#pragma once
// A KeyValueStore in memory, for unit tests: it can be told to refuse
// writes, as a full disk would.

#include <map>
#include <mutex>

#include "eventlog/key_value_store.h"

namespace oee::testing {

class MemoryStore final : public eventlog::KeyValueStore {
 public:
  eventlog::Result<std::optional<std::string>> get(std::string_view key) const override {
    std::lock_guard lock(mu_);
    if (const auto it = entries_.find(std::string(key)); it != entries_.end()) {
      return std::optional<std::string>(it->second);
    }
    return std::optional<std::string>{};
  }
  std::error_code put_all(std::span<const Entry> entries) override {
    std::lock_guard lock(mu_);
    if (!refusal_.empty()) return make_error_code(eventlog::Errc::unavailable);
    for (const auto& e : entries) entries_[std::string(e.key)] = std::string(e.value);
    if (!entries.empty()) ++writes_;
    return {};
  }
  std::vector<Created> create_all(std::span<const Entry> entries) override {
    std::lock_guard lock(mu_);
    std::vector<Created> out;
    bool wrote = false;
    for (const auto& e : entries) {
      if (const auto it = entries_.find(std::string(e.key)); it != entries_.end()) {
        out.emplace_back(std::optional<std::string>(it->second));
      } else if (!refusal_.empty()) {
        out.emplace_back(make_error_code(eventlog::Errc::unavailable));
      } else {
        entries_[std::string(e.key)] = std::string(e.value);
        out.emplace_back(std::optional<std::string>{});
        wrote = true;
      }
    }
    if (wrote) ++writes_;
    return out;
  }
  std::error_code sync() override { return {}; }
  std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const override {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : entries_) visit(k, v);
    return {};
  }
  std::string write_error() const override {
    std::lock_guard lock(mu_);
    return refusal_;
  }

  /// Writes fail with Errc::unavailable, and this as the cause, until it is empty again.
  void refuse_writes(std::string why) {
    std::lock_guard lock(mu_);
    refusal_ = std::move(why);
  }
  /// How many writes put something.
  [[nodiscard]] std::size_t writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> entries_;
  std::string refusal_;
  std::size_t writes_ = 0;
};

}  // namespace oee::testing
