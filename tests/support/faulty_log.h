#pragma once
// An event log that forwards to a real one, with failures switched on by a
// test: the storage errors a consumer must not shrug off.

#include <atomic>

#include "eventlog/event_log.h"

namespace oee::testing {

class FaultyLog final : public eventlog::LogPartitionWriter {
 public:
  explicit FaultyLog(eventlog::LogPartitionWriter& real) : real_(real) {}

  std::atomic<bool> fail_refresh{false};
  std::atomic<bool> fail_cursor{false};

  void append(eventlog::AppendCommand command, eventlog::AppendCompletion done) override {
    real_.append(std::move(command), std::move(done));
  }
  void append_all(std::vector<eventlog::AppendRequest> requests) override { real_.append_all(std::move(requests)); }
  [[nodiscard]] Seq head() const override { return real_.head(); }
  [[nodiscard]] eventlog::Result<std::vector<eventlog::Record>> read(Seq from, std::size_t max) const override {
    return real_.read(from, max);
  }
  [[nodiscard]] eventlog::Result<std::vector<eventlog::Record>> read_order(OrderId order, Seq from) const override {
    return real_.read_order(order, from);
  }
  [[nodiscard]] eventlog::Result<std::vector<eventlog::RawRecord>> read_raw(Seq from,
                                                                            std::size_t max) const override {
    return real_.read_raw(from, max);
  }
  [[nodiscard]] eventlog::Result<std::optional<eventlog::OrderSnapshotEntry>> snapshot(
      OrderId order) const override {
    return real_.snapshot(order);
  }
  [[nodiscard]] eventlog::Result<std::vector<OrderId>> members(eventlog::OrderSet set,
                                                               std::size_t max) const override {
    return real_.members(set, max);
  }
  [[nodiscard]] eventlog::Result<std::optional<eventlog::Checkpoint>> checkpoint() const override {
    return real_.checkpoint();
  }
  [[nodiscard]] eventlog::Result<std::optional<eventlog::IndexedOrder>> finished_record(
      OrderId order) const override {
    return real_.finished_record(order);
  }
  Seq wait_beyond(Seq after, std::chrono::milliseconds timeout) const override {
    return real_.wait_beyond(after, timeout);
  }
  [[nodiscard]] eventlog::CommitSubscription on_commit(eventlog::CommitListener listener) override {
    return real_.on_commit(std::move(listener));
  }
  [[nodiscard]] eventlog::Result<Seq> refresh() override {
    if (fail_refresh) return make_error_code(eventlog::Errc::io_error);
    return real_.refresh();
  }
  [[nodiscard]] eventlog::Result<Seq> cursor(std::string_view name) const override {
    if (fail_cursor) return make_error_code(eventlog::Errc::io_error);
    return real_.cursor(name);
  }
  void store_cursor(std::string name, Seq seq, std::function<void(std::error_code)> done) override {
    real_.store_cursor(std::move(name), seq, std::move(done));
  }
  [[nodiscard]] const std::string& id() const override { return real_.id(); }
  [[nodiscard]] std::string write_error() const override { return real_.write_error(); }
  [[nodiscard]] const eventlog::Stats& stats() const override { return real_.stats(); }
  [[nodiscard]] std::uint64_t disk_bytes() const override { return real_.disk_bytes(); }
  [[nodiscard]] eventlog::MemoryUse memory() const override { return real_.memory(); }
  std::error_code close() override { return real_.close(); }

 private:
  eventlog::LogPartitionWriter& real_;
};

}  // namespace oee::testing
