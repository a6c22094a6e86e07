#include "eventlog/jetstream/cluster_store.h"

#include <limits>

namespace oee::eventlog::jetstream {

namespace {

class ClusterStore final : public KeyValueStore {
 public:
  explicit ClusterStore(KvBucket bucket) : bucket_(std::move(bucket)) {}

  Result<std::optional<std::string>> get(std::string_view key) const override {
    auto entry = bucket_.get(key);
    if (!entry) return unavailable_if_unreachable(entry.error());
    if (!*entry) return std::optional<std::string>{};
    return std::optional<std::string>(std::move((*entry)->value));
  }

  // One write per entry: JetStream has no write of several subjects at
  // once. Each is create-only, so a batch cut short is completed by putting
  // it again, and no entry ever changes.
  std::error_code put_all(std::span<const Entry> entries) override {
    const auto created = create_all(entries);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!created[i]) return created[i].error();
      if (*created[i] && **created[i] != entries[i].value) return std::error_code(JsErrc::exists);
    }
    return {};
  }

  // Sent together, each create-only.
  std::vector<Created> create_all(std::span<const Entry> entries) override {
    std::vector<std::pair<std::string_view, std::string_view>> writes;
    writes.reserve(entries.size());
    for (const auto& e : entries) writes.emplace_back(e.key, e.value);
    const auto written = bucket_.create_all(writes);
    std::vector<Created> out;
    out.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (written[i]) {
        out.emplace_back(std::optional<std::string>{});
      } else if (written[i].error() == JsErrc::exists) {
        auto held = get(entries[i].key);
        if (held && !*held) {
          out.emplace_back(make_error_code(Errc::unavailable));  // gone meanwhile: never, short of an operator
        } else {
          out.push_back(std::move(held));
        }
      } else {
        out.emplace_back(unavailable_if_unreachable(written[i].error()));
      }
    }
    return out;
  }

  std::error_code sync() override { return {}; }

  std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const override {
    auto entries = bucket_.entries();
    if (!entries) return entries.error();
    for (const auto& [key, value] : *entries) visit(key, value);
    return {};
  }

  std::string write_error() const override {
    return bucket_.connected() ? std::string{} : std::string("no NATS server is reachable");
  }

 private:
  static std::error_code unavailable_if_unreachable(std::error_code ec) {
    if (ec == JsErrc::not_connected || ec == JsErrc::timeout) return make_error_code(Errc::unavailable);
    return ec;
  }

  mutable KvBucket bucket_;
};

}  // namespace

std::unique_ptr<KeyValueStore> open_cluster_store(KvBucket bucket) {
  return std::make_unique<ClusterStore>(std::move(bucket));
}

}  // namespace oee::eventlog::jetstream
