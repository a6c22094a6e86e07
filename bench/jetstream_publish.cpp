// oee-bench-jetstream: the raw JetStream publish rate of a cluster, the
// ceiling bench/cluster measures oee's cluster log against. Publishes
// event-sized messages round-robin into `--streams` streams (as many as
// oee's partitions, each with its own leader), asynchronously with up to
// `--max-pending` unacknowledged, then a few one at a time, and prints
// one JSON object. The streams are made for the run and deleted after it.
//
// What oee asks of the servers beyond publishing can be added, to see what
// each costs: `--followers N` ordered consumers per stream reading every
// message as it comes (oee: each node follows every partition), and
// `--subject-per-message` (oee: every order is a subject of its own).

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "eventlog/jetstream/connection.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what, natsStatus s) {
  std::fprintf(stderr, "oee-bench-jetstream: %s: %s\n", what, natsStatus_GetText(s));
  std::exit(1);
}

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) fail(what, s);
}

std::atomic<std::uint64_t> failed_acks{0};

void on_publish_error(jsCtx*, jsPubAckErr*, void*) { failed_acks.fetch_add(1); }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oee-bench-jetstream: raw JetStream publish rate (async and one at a time) of a NATS cluster"};
  std::string urls;
  std::uint64_t messages = 200'000, sync_messages = 2'000;
  int size = 200, streams = 8, replicas = 3;
  int max_pending = 4096;
  int followers = 0;
  bool subject_per_message = false;
  cli.add_option("--nats", urls, "Server URLs, comma separated, credentials included (better in OEE_NATS_URL: a "
                 "command line is anyone's to read)")
      ->envname("OEE_NATS_URL")
      ->required();
  cli.add_option("--messages", messages, "Messages published asynchronously")->capture_default_str();
  cli.add_option("--sync-messages", sync_messages, "Messages published one at a time, each awaiting its ack")
      ->capture_default_str();
  cli.add_option("--size", size, "Bytes per message (an oee event is 150-250)")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cli.add_option("--streams", streams, "Streams published to round-robin")->check(CLI::Range(1, 64))->capture_default_str();
  cli.add_option("--replicas", replicas, "Replicas per stream")->check(CLI::Range(1, 5))->capture_default_str();
  cli.add_option("--max-pending", max_pending, "Asynchronous publishes awaiting their ack at most")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cli.add_option("--followers", followers, "Ordered consumers per stream, each reading every message")
      ->check(CLI::Range(0, 16))->capture_default_str();
  cli.add_flag("--subject-per-message", subject_per_message, "Each message on a subject of its own");
  CLI11_PARSE(cli, argc, argv);

  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "options");
  // The URLs as oee takes them (credentials in each), checked the same way.
  std::vector<std::string> servers;
  try {
    servers = oee::eventlog::jetstream::parse_urls(urls);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "oee-bench-jetstream: %s\n", e.what());
    return 2;
  }
  std::vector<const char*> server_list;
  for (const auto& s : servers) server_list.push_back(s.c_str());
  check(natsOptions_SetServers(opts, server_list.data(), static_cast<int>(server_list.size())), "servers");
  natsConnection* nc = nullptr;
  check(natsConnection_Connect(&nc, opts), "connect");
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = 10'000;
  js_options.PublishAsync.MaxPending = max_pending;
  js_options.PublishAsync.ErrHandler = on_publish_error;
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, nc, &js_options), "jetstream");

  std::vector<std::string> names, subjects;
  for (int i = 0; i < streams; ++i) {
    names.push_back("BENCH_RAW_" + std::to_string(i));
    // Under oee.>: the nodes' NATS user, which the bench uses, publishes there only (tools/nats/permissions.conf).
    subjects.push_back("oee.bench.raw." + std::to_string(i) + (subject_per_message ? ".>" : ""));
    js_DeleteStream(js, names.back().c_str(), nullptr, nullptr);  // left by a run that died
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subject = subjects.back().c_str();
    config.Name = names.back().c_str();
    config.Subjects = &subject;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = replicas;
    // A cluster just started elects its JetStream leader first.
    natsStatus made = NATS_ERR;
    for (const auto until = Clock::now() + std::chrono::seconds(30); made != NATS_OK && Clock::now() < until;) {
      jsStreamInfo* info = nullptr;
      jsErrCode code{};
      made = js_AddStream(&info, js, &config, nullptr, &code);
      jsStreamInfo_Destroy(info);
      if (made != NATS_OK) nats_Sleep(200);
    }
    check(made, "add stream");
  }
  const std::string payload(static_cast<std::size_t>(size), 'x');
  // Where message i goes: its stream's subject, or one of its own there.
  const auto subject_of = [&](std::uint64_t i) {
    const std::string& base = subjects[i % subjects.size()];
    return subject_per_message ? base.substr(0, base.size() - 1) + std::to_string(i) : base;
  };

  // Followers: ordered push consumers, each drained by libnats' own
  // delivery threads into a counter.
  std::atomic<std::uint64_t> delivered{0};
  std::vector<natsSubscription*> follows;
  for (int f = 0; f < followers; ++f) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = names[i].c_str();
      so.Ordered = true;
      natsSubscription* sub = nullptr;
      jsErrCode code{};
      check(js_Subscribe(
                &sub, js, subjects[i].c_str(),
                [](natsConnection*, natsSubscription*, natsMsg* m, void* counter) {
                  static_cast<std::atomic<std::uint64_t>*>(counter)->fetch_add(1);
                  natsMsg_Destroy(m);
                },
                &delivered, nullptr, &so, &code),
            "follow");
      follows.push_back(sub);
    }
  }

  const auto async_start = Clock::now();
  for (std::uint64_t i = 0; i < messages; ++i) {
    check(js_PublishAsync(js, subject_of(i).c_str(), payload.data(), size, nullptr), "publish");
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = 120'000;
  check(js_PublishAsyncComplete(js, &wait), "await the acks");
  // With followers, the run ends once each has read every message.
  const auto want = messages * static_cast<std::uint64_t>(followers);
  for (const auto until = Clock::now() + std::chrono::seconds(120); delivered.load() < want && Clock::now() < until;)
    nats_Sleep(5);
  const double async_seconds = seconds_since(async_start);
  for (auto* sub : follows) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }

  const auto sync_start = Clock::now();
  for (std::uint64_t i = 0; i < sync_messages; ++i) {
    jsPubAck* ack = nullptr;
    check(js_Publish(&ack, js, subject_of(messages + i).c_str(), payload.data(), size, nullptr, nullptr),
          "publish one");
    jsPubAck_Destroy(ack);
  }
  const double sync_seconds = seconds_since(sync_start);

  for (const auto& name : names) js_DeleteStream(js, name.c_str(), nullptr, nullptr);
  std::printf(
      "{\"messages\": %llu, \"size\": %d, \"streams\": %d, \"replicas\": %d, \"maxPending\": %d, "
      "\"followers\": %d, \"subjectPerMessage\": %s, \"delivered\": %llu, "
      "\"failedAcks\": %llu, \"asyncPerSecond\": %.0f, \"syncPerSecond\": %.0f}\n",
      static_cast<unsigned long long>(messages), size, streams, replicas, max_pending, followers,
      subject_per_message ? "true" : "false", static_cast<unsigned long long>(delivered.load()),
      static_cast<unsigned long long>(failed_acks.load()), static_cast<double>(messages) / async_seconds,
      static_cast<double>(sync_messages) / sync_seconds);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  return 0;
}
