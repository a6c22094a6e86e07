#include "eventlog/jetstream/journal_stream.h"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace oee::eventlog::jetstream {

namespace {

using namespace std::chrono_literals;

constexpr auto kSetUpWait = 30s;
constexpr auto kPoll = 200ms;
constexpr auto kRetryAfterError = 500ms;

class JournalStream final : public SharedJournal {
 public:
  JournalStream(Connection& connection, JournalSpec spec) : connection_(connection), spec_(std::move(spec)) {}
  ~JournalStream() override { stop(); }

  Result<Seq> append(std::string_view entry, std::optional<Seq> after) override {
    Publish p;
    p.subject = spec_.subject;
    p.data = entry;
    p.expect_last_seq = after;
    p.timeout = spec_.timeout;
    auto ack = connection_.publish(p);
    if (!ack) {
      if (ack.error() == JsErrc::wrong_last_sequence) return std::error_code(Errc::superseded);
      return ack.error();
    }
    return ack->seq;
  }

  Result<Seq> last() override {
    auto state = connection_.stream_state(spec_.stream);
    if (!state) return state.error();
    return state->last;
  }

  void start(Apply apply) override {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this, apply = std::move(apply)] {
      pthread_setname_np(pthread_self(), "oee-journal");
      follow(apply);
    });
  }

  void stop() override {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !wake_.wait_for(lock, d, [&] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  // Applies each entry once, in order: after an outage the consumer is
  // made again from the entry after the last one applied.
  void follow(const Apply& apply) {
    Seq applied{0};
    std::unique_ptr<Subscription> sub;
    while (!stopping()) {
      if (!sub) {
        auto made = connection_.follow(spec_.stream, spec_.subject, Seq{applied.value + 1});
        if (!made) {
          spdlog::warn("{}: cannot follow it ({}); trying again", spec_.stream, made.error().message());
          if (!pause(kRetryAfterError)) return;
          continue;
        }
        sub = std::move(*made);
      }
      auto m = sub->next(kPoll);
      if (!m) {
        spdlog::warn("{}: following it failed ({}); following it again", spec_.stream, m.error().message());
        sub.reset();
        if (!pause(kRetryAfterError)) return;
        continue;
      }
      if (!*m || (*m)->seq <= applied) continue;
      applied = (*m)->seq;
      apply(applied, (*m)->data);
    }
  }

  Connection& connection_;
  const JournalSpec spec_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace

std::unique_ptr<SharedJournal> open_journal_stream(Connection& connection, const JournalSpec& spec) {
  StreamSpec stream;
  stream.name = spec.stream;
  stream.subjects = {spec.subject};
  if (auto made = connection.ensure_stream(stream, kSetUpWait); !made) {
    throw std::runtime_error(
        fmt::format("cannot create or open stream {} in the NATS cluster: {}", spec.stream, made.error().message()));
  }
  return std::make_unique<JournalStream>(connection, spec);
}

}  // namespace oee::eventlog::jetstream
