#include "eventlog/jetstream/kv_bucket.h"

#include <limits>
#include <map>

namespace oee::eventlog::jetstream {

namespace {

constexpr auto kOperationHeader = "KV-Operation";

bool is_tombstone(const StoredMessage& m) {
  const auto op = m.header(kOperationHeader);
  return op == "DEL" || op == "PURGE";
}

}  // namespace

KvBucket::KvBucket(Connection& connection, std::string name, int replicas, std::chrono::milliseconds timeout)
    : connection_(&connection), name_(std::move(name)), stream_("KV_" + name_), replicas_(replicas), timeout_(timeout) {}

Result<KvBucket> KvBucket::open(Connection& connection, const BucketSpec& spec, std::chrono::milliseconds wait) {
  StreamSpec stream;
  stream.name = "KV_" + spec.name;
  stream.subjects = {"$KV." + spec.name + ".>"};
  stream.replicas = spec.replicas;
  stream.max_age = spec.ttl;
  stream.max_per_subject = 1;
  auto replicas = connection.ensure_stream(stream, wait);
  if (!replicas) return replicas.error();
  return KvBucket(connection, spec.name, *replicas, spec.timeout);
}

std::string KvBucket::subject(std::string_view key) const {
  std::string out = "$KV.";
  out.append(name_).append(".").append(key);
  return out;
}

Result<std::uint64_t> KvBucket::write(std::string_view key, std::string_view value, bool erase,
                                      std::optional<std::uint64_t> expected) {
  Publish p;
  p.subject = subject(key);
  p.data = value;
  p.timeout = timeout_;
  if (erase) p.headers.emplace_back(kOperationHeader, "DEL");
  if (expected && *expected == 0) {
    p.expect_new_subject = true;
  } else if (expected) {
    p.headers.emplace_back("Nats-Expected-Last-Subject-Sequence", std::to_string(*expected));
  }
  auto ack = connection_->publish(p);
  if (!ack) return ack.error();
  return ack->seq.value;
}

Result<std::uint64_t> KvBucket::create(std::string_view key, std::string_view value) {
  auto written = write(key, value, false, 0);
  if (written || written.error() != JsErrc::wrong_last_sequence) return written;
  // The subject holds something: a live value, or a deletion's tombstone
  // that a create may replace.
  auto last = connection_->last_on_subject(stream_, subject(key));
  if (!last) return last.error();
  if (!*last || !is_tombstone(**last)) return std::error_code(JsErrc::exists);
  written = write(key, value, false, (*last)->seq.value);
  if (!written && written.error() == JsErrc::wrong_last_sequence) return std::error_code(JsErrc::exists);
  return written;
}

std::vector<Result<std::uint64_t>> KvBucket::create_all(
    std::span<const std::pair<std::string_view, std::string_view>> entries) {
  std::vector<Publish> publishes;
  publishes.reserve(entries.size());
  for (const auto& [key, value] : entries) {
    Publish p;
    p.subject = subject(key);
    p.data = value;
    p.expect_new_subject = true;
    publishes.push_back(std::move(p));
  }
  const auto acks = connection_->publish_all(publishes, timeout_);
  std::vector<Result<std::uint64_t>> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (acks[i]) {
      out.emplace_back(acks[i]->seq.value);
    } else if (acks[i].error() == JsErrc::wrong_last_sequence || acks[i].error() == JsErrc::timeout) {
      // Held, or a deletion's tombstone; or its outcome unknown: judged alone.
      out.push_back(create(entries[i].first, entries[i].second));
    } else {
      out.emplace_back(acks[i].error());
    }
  }
  return out;
}

Result<std::uint64_t> KvBucket::update(std::string_view key, std::string_view value, std::uint64_t revision) {
  return write(key, value, false, revision);
}

Result<std::uint64_t> KvBucket::put(std::string_view key, std::string_view value) {
  return write(key, value, false, std::nullopt);
}

Result<std::uint64_t> KvBucket::erase(std::string_view key, std::uint64_t revision) {
  return write(key, {}, true, revision == 0 ? std::nullopt : std::optional<std::uint64_t>(revision));
}

Result<std::optional<KvEntry>> KvBucket::get(std::string_view key) {
  auto last = connection_->last_on_subject(stream_, subject(key));
  if (!last) return last.error();
  if (!*last || is_tombstone(**last)) return std::optional<KvEntry>{};
  return std::optional<KvEntry>(KvEntry{std::move((*last)->data), (*last)->seq.value});
}

Result<std::vector<std::pair<std::string, std::string>>> KvBucket::entries() {
  auto messages = connection_->read(stream_, subject(">"), Seq{1}, std::numeric_limits<std::size_t>::max());
  if (!messages) return messages.error();
  const auto prefix = subject("");
  std::map<std::string, std::string> live;  // the last write of each key wins
  for (auto& m : *messages) {
    auto key = m.subject.substr(prefix.size());
    if (is_tombstone(m)) {
      live.erase(key);
    } else {
      live[std::move(key)] = std::move(m.data);
    }
  }
  return std::vector<std::pair<std::string, std::string>>(std::make_move_iterator(live.begin()),
                                                           std::make_move_iterator(live.end()));
}

Result<std::vector<std::string>> KvBucket::keys(std::string_view prefix) {
  auto all = entries();
  if (!all) return all.error();
  std::vector<std::string> out;
  for (auto& [key, value] : *all)
    if (key.starts_with(prefix)) out.push_back(std::move(key));
  return out;
}

bool KvBucket::connected() const { return connection_->connected(); }

}  // namespace oee::eventlog::jetstream
