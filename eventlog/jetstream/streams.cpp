// Creating a stream (or finding it made) and purging part of it (connection.h).
#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/detail/nats_support.h"

namespace oee::eventlog::jetstream {

using namespace detail;

namespace {
/// How long a create's first try waits for its answer; a read of a stream
/// just made, half that. Each try after doubles it, up to the request timeout.
constexpr std::chrono::milliseconds kFirstWait{500};
}  // namespace

// A stream just given a leader may leave its first reads unanswered for a
// while (a read then waits the whole request timeout): it is ready once it
// answers one, asked with short waits.
bool Connection::answers_reads(const std::string& stream, std::chrono::steady_clock::time_point deadline) {
  Publish ask;
  ask.subject = "$JS.API.STREAM.MSG.GET." + stream;
  ask.data = R"({"seq":1})";
  for (auto wait = kFirstWait / 2;; wait = std::min(wait * 2, impl_->options.request_timeout)) {
    auto answer = request_all(std::span<const Publish>(&ask, 1), wait).front();
    if (answer) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // not connected answers at once
  }
}

std::error_code Connection::purge(std::string_view stream, std::string_view subject, Seq keep_from) {
  const std::string name(stream);
  const std::string subj(subject);
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = impl_->options.request_timeout.count();
  options.Stream.Purge.Subject = subj.c_str();
  options.Stream.Purge.Sequence = keep_from.value;
  jsErrCode code{};
  if (const auto s = js_PurgeStream(impl_->js, name.c_str(), &options, &code); s != NATS_OK)
    return failure(s, code, true);
  return {};
}

Result<int> Connection::ensure_stream(const StreamSpec& spec, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (impl_->options.read_only) {
    // A read-only user may not create: the stream is there, or it is not.
    for (;;) {
      auto state = stream_state(spec.name);
      if (state) return state->replicas;
      if (!transient(state.error()) || std::chrono::steady_clock::now() >= deadline) return state.error();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  std::vector<const char*> subjects;
  for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
  int replicas = spec.replicas;
  std::error_code last;
  // A cluster that has yet to elect its metadata leader drops a create
  // unanswered: waiting the whole request timeout for it would hold a
  // node's start for that long, so the first tries wait less (a create
  // sent again finds the stream made).
  auto attempt_wait = std::min<std::chrono::milliseconds>(kFirstWait, impl_->options.request_timeout);
  for (;;) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = spec.name.c_str();
    config.Subjects = subjects.data();
    config.SubjectsLen = static_cast<int>(subjects.size());
    config.Storage = js_FileStorage;
    config.Retention = js_LimitsPolicy;
    config.Discard = js_DiscardOld;
    config.Replicas = replicas;
    auto window = spec.duplicate_window;
    if (spec.max_age.count() > 0) window = std::min(window, spec.max_age);
    config.Duplicates = std::chrono::nanoseconds(window).count();
    config.MaxAge = std::chrono::nanoseconds(spec.max_age).count();
    if (spec.max_per_subject > 0) config.MaxMsgsPerSubject = spec.max_per_subject;
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = attempt_wait.count();
    jsStreamInfo* raw = nullptr;
    jsErrCode code{};
    const auto s = js_AddStream(&raw, impl_->js, &config, &options, &code);
    std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw);
    if (s == NATS_OK || code == JSStreamNameExistErr) {
      // Made, or there: once it has a leader it takes publishes (a stream
      // just made may not yet, and a publish then finds no responder).
      for (;;) {
        auto state = stream_state(spec.name);
        if (state && state->current_peers > 0 && answers_reads(spec.name, deadline)) return state->replicas;
        if (std::chrono::steady_clock::now() >= deadline) {
          return state ? std::error_code(JsErrc::not_connected) : state.error();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    const bool too_few_servers = code == JSStreamReplicasNotSupportedErr ||
                                 ((code == JSInsufficientResourcesErr || code == JSClusterNoPeersErr) &&
                                  impl_->servers_known() < static_cast<std::size_t>(replicas));
    if (replicas > 1 && too_few_servers) {
      spdlog::warn("jetstream: the NATS cluster has fewer than {} servers; stream {} keeps one copy of each event "
                   "(losing its server loses them)",
                   replicas, spec.name);
      replicas = 1;
      continue;
    }
    last = failure(s, code, false);
    // A cluster that is still forming answers with "temporarily
    // unavailable", "insufficient resources" or not at all: wait for it.
    // Another node creating the same stream at the same moment can make the
    // servers answer "stream not found" while they assign it: the next try
    // finds it made.
    const bool forming = transient(last) || code == JSClusterNotAvailErr || code == JSClusterNotLeaderErr ||
                         code == JSInsufficientResourcesErr || code == JSClusterNoPeersErr ||
                         code == JSClusterIncompleteErr || code == JSStreamNotFoundErr ||
                         last == JsErrc::server_error;
    if (!forming || std::chrono::steady_clock::now() >= deadline) {
      spdlog::error("jetstream: cannot create stream {}: {} (error code {})", spec.name, last_error_text(s),
                    static_cast<int>(code));
      return last;
    }
    attempt_wait = std::min(attempt_wait * 2, impl_->options.request_timeout);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace oee::eventlog::jetstream
