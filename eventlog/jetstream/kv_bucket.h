#pragma once
// A JetStream key-value bucket (stream KV_<name>, one subject $KV.<name>.<key>
// per key, the latest value kept), read and written through our own
// publishes so that every conditional write answers with a reason: a
// create on a held key is JsErrc::exists, an update from a stale revision
// JsErrc::wrong_last_sequence. Buckets written here read as ordinary NATS
// key-value buckets (`nats kv get`).
//
// Lifecycle: a value type over a Connection that must outlive it.
// Threading: as thread-safe as the connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/jetstream/connection.h"

namespace oee::eventlog::jetstream {

struct BucketSpec {
  std::string name;
  /// Entries expire this long after their last write; zero: never.
  std::chrono::milliseconds ttl{0};
  int replicas = 3;
  /// Bound on each read and write.
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

struct KvEntry {
  std::string value;
  std::uint64_t revision = 0;  // the stream seq of the write that set it
};

class KvBucket {
 public:
  /// Creates the bucket if the cluster has none of that name (see
  /// Connection::ensure_stream for `wait` and the replicas).
  [[nodiscard]] static Result<KvBucket> open(Connection& connection, const BucketSpec& spec,
                                             std::chrono::milliseconds wait);

  /// Writes only if the key holds nothing (never written, deleted or expired).
  [[nodiscard]] Result<std::uint64_t> create(std::string_view key, std::string_view value);
  /// create() of each (key, value), sent together: one answer per entry,
  /// in order (JsErrc::exists for a key that holds a value).
  [[nodiscard]] std::vector<Result<std::uint64_t>> create_all(
      std::span<const std::pair<std::string_view, std::string_view>> entries);
  /// Writes only if the key's revision is still `revision`.
  [[nodiscard]] Result<std::uint64_t> update(std::string_view key, std::string_view value, std::uint64_t revision);
  [[nodiscard]] Result<std::uint64_t> put(std::string_view key, std::string_view value);
  /// Nothing when the key was never written, deleted or expired.
  [[nodiscard]] Result<std::optional<KvEntry>> get(std::string_view key);
  /// Deletes the key if its revision is still `revision` (0: whatever it is).
  [[nodiscard]] Result<std::uint64_t> erase(std::string_view key, std::uint64_t revision = 0);

  /// Every live key and its value, in key order (a read of the whole
  /// bucket: for audits and small buckets).
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> entries();
  /// Keys starting with `prefix` that hold a value now.
  [[nodiscard]] Result<std::vector<std::string>> keys(std::string_view prefix);
  [[nodiscard]] bool connected() const;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int replicas() const { return replicas_; }

 private:
  KvBucket(Connection& connection, std::string name, int replicas, std::chrono::milliseconds timeout);
  [[nodiscard]] std::string subject(std::string_view key) const;
  [[nodiscard]] Result<std::uint64_t> write(std::string_view key, std::string_view value, bool erase,
                                            std::optional<std::uint64_t> expected);

  Connection* connection_;
  std::string name_;
  std::string stream_;
  int replicas_ = 1;
  std::chrono::milliseconds timeout_;
};

}  // namespace oee::eventlog::jetstream
