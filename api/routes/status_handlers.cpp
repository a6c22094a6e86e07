#include "api/routes/status_handlers.h"

#include <map>
#include <optional>

#include <boost/json.hpp>

#include "api/redis/redis_publisher.h"
#include "projections/projector.h"

namespace oee::api {

namespace json = boost::json;

namespace {

json::object postgres_health(App& app) {
  if (app.projector == nullptr) return json::object{{"status", "disabled"}};
  const auto st = app.projector->status();
  json::object o{{"status", st.connected ? "ok" : "down"},
                 {"appliedSeq", st.applied_seq},
                 {"lagEvents", st.lag_events},
                 {"lagSeconds", st.lag_seconds},
                 {"batches", st.batches},
                 {"failures", st.failures}};
  if (!st.connected && !st.last_error.empty()) o["lastError"] = st.last_error;
  return o;
}

json::object redis_health(App& app) {
  if (!app.publishing) return json::object{{"status", "disabled"}};
  const auto st = app.publishing();
  json::object o{{"status", st.connected ? "ok" : "down"}};
  // A seq of one log; a cluster node publishes several partitions.
  if (!app.log.partitioned()) o["publishedSeq"] = st.published_seq;
  o["lagEvents"] = st.lag_events;
  o["messages"] = st.messages;
  o["reconnects"] = st.reconnects;
  if (!st.connected && !st.last_error.empty()) o["lastError"] = st.last_error;
  return o;
}

json::object auth_health(const App& app) {
  json::object o{{"status", app.auth.enabled() ? "on" : "off"}};
  if (app.info.open_to_network) {
    o["warning"] = "authentication is off on an address other machines reach: anyone can submit and read orders";
  }
  return o;
}

}  // namespace

json::object cluster_json(const ClusterView& v) {
  json::array here;
  for (const auto p : v.executed_here) here.push_back(p);
  json::object out{{"node", v.node}, {"reachable", v.reachable}, {"executedHere", std::move(here)}};
  if (!v.problems.empty()) {
    json::array problems;
    for (const auto& why : v.problems) problems.push_back(json::string(why));
    out["problems"] = std::move(problems);
  }
  if (!v.partitions.empty()) {
    json::array partitions;
    for (const auto& p : v.partitions)
      partitions.push_back(json::object{{"partition", p.partition},
                                        {"owner", p.owner},
                                        {"lastSeq", p.last_seq},
                                        {"lagEvents", p.lag_events},
                                        {"foldedHere", p.folded_here},
                                        {"refusedAppends", p.refused_appends}});
    out["partitions"] = std::move(partitions);
    out["market"] = json::object{{"holder", v.market_holder}, {"changes", v.market_changes}};
  }
  return out;
}

HttpResponse cluster_status(App& app) {
  if (!app.cluster)
    return error_response(ApiError{404, "not_a_cluster_node", "this server runs the embedded log, not a cluster (--nats)", ""});
  return HttpResponse{200, json::serialize(cluster_json(app.cluster(true))), "application/json", {}};
}

namespace {

// Without figures: what an orchestrator or a user needs to know whether to
// worry, and nothing of the business or the network behind it; and the
// default pair, which any client's pair-less order trades.
json::object status_words(const json::object& full) {
  json::object out;
  for (const char* name : {"service", "version", "role", "status", "auth", "defaultPair"}) {
    if (const auto* v = full.if_contains(name)) out[name] = *v;
  }
  for (const char* part : {"log", "redis", "postgres"}) {
    const auto& o = full.at(part).as_object();
    json::object words{{"status", o.at("status")}};
    if (const auto* d = o.if_contains("durability")) words["durability"] = *d;
    out[part] = std::move(words);
  }
  if (const auto* c = full.if_contains("cluster")) out["cluster"] = json::object{{"reachable", c->at("reachable")}};
  out["detail"] = "figures, errors and partitions are shown to the admin key";
  return out;
}

}  // namespace

HttpResponse health(App& app, bool figures) {
  json::object log{{"status", "ok"},
                   {"head", app.log.head().value},
                   {"durability", eventlog::durability_name(app.info.durability)},
                   {"failedCommits", app.log.stats().failed_commits.load()},
                   {"recoveries", app.log.stats().recoveries.load()}};
  const auto write_error = app.log.write_error();
  if (!write_error.empty()) {
    log["status"] = "degraded";
    log["error"] = write_error;
  }
  // Degraded, not down: reads, streams and orders already accepted go on.
  json::object body{{"service", "oee"},
                          {"version", OEE_VERSION},
                          {"role", "core"},
                          {"status", write_error.empty() ? "ok" : "degraded"},
                          {"log", std::move(log)},
                          {"executor", json::object{{"inFlight", app.metrics.orders_in_flight.load()},
                                                    {"waiting", app.metrics.orders_waiting.load()},
                                                    {"paused", app.metrics.orders_paused.load()},
                                                    {"sim", core::sim_profile_name(app.info.sim)}}},
                          {"fanOut", json::object{{"mode", app.publishing ? "in-process+redis" : "in-process"},
                                                  {"lagEvents", app.hub.backlog()},
                                                  {"subscriptions", app.hub.subscriptions()}}},
                          {"redis", redis_health(app)},
                          {"postgres", postgres_health(app)},
                          {"websocketClients", app.server.ws_clients.load()},
                          {"auth", auth_health(app)}};
  // What a client that names no pair trades: the dashboard's form shows it.
  if (app.default_pair) body["defaultPair"] = pair_name(*app.default_pair);
  if (app.cluster) {
    const auto view = app.cluster(false);
    body["cluster"] = cluster_json(view);
    if (!view.reachable || !view.problems.empty()) body["status"] = "degraded";
  }
  return HttpResponse{200, json::serialize(figures ? body : status_words(body)), "application/json", {}};
}

HttpResponse recent_stats(App& app, bool everyone) {
  const auto now = core::sim_now();  // the events' times are the simulation's
  // Other keys' activity is theirs: an API key gets no figures.
  const auto seconds = everyone ? app.metrics.recent.last(now) : std::vector<core::RecentActivity::Second>{};
  json::array throughput;
  std::map<std::int64_t, std::array<std::uint32_t, core::RecentActivity::kLatencyBounds.size() + 1>> windows;
  for (const auto& s : seconds) {
    json::object row{{"t", s.unix_second}};
    for (int i = 0; i < core::kStatusCount; ++i) {
      if (s.by_status[i] != 0) row[core::status_name(static_cast<core::Status>(i))] = s.by_status[i];
    }
    throughput.push_back(std::move(row));
    auto& window = windows[s.unix_second - s.unix_second % core::RecentActivity::kLatencyWindowSeconds];
    for (std::size_t b = 0; b < window.size(); ++b) window[b] += s.latency[b];
  }
  json::array latency;
  for (const auto& [t, counts] : windows) {
    std::uint64_t n = 0;
    for (auto c : counts) n += c;
    if (n == 0) continue;
    latency.push_back(json::object{{"t", t},
                                   {"confirmed", n},
                                   {"p50", core::latency_quantile(counts, 0.5)},
                                   {"p99", core::latency_quantile(counts, 0.99)}});
  }
  const json::object body{{"now", static_cast<std::int64_t>(now.value / 1'000'000'000)},
                          {"seconds", core::RecentActivity::kSeconds},
                          {"scope", everyone ? "all" : "own"},
                          {"throughput", std::move(throughput)},
                          {"latency", std::move(latency)}};
  return HttpResponse{200, json::serialize(body), "application/json", {}};
}

HttpResponse metrics(App& app) {
  std::string out;
  out.reserve(16 * 1024);
  const auto& s = app.log.stats();
  metrics::append_metric(out, "oee_log_head_seq", "gauge", "Last durable seq.", app.log.head().value);
  metrics::append_metric(out, "oee_log_commits_total", "counter", "Group commits.", s.commits.load());
  metrics::append_metric(out, "oee_log_failed_commits_total", "counter",
                         "Group commits the storage rejected.", s.failed_commits.load());
  metrics::append_metric(out, "oee_log_writable", "gauge",
                         "Whether the log takes appends (0 while its storage is failing, e.g. the disk is full).",
                         app.log.write_error().empty() ? 1 : 0);
  metrics::append_metric(out, "oee_log_recoveries_total", "counter",
                         "Times appends resumed after the storage failed.", s.recoveries.load());
  metrics::append_metric(out, "oee_log_rests_total", "counter",
                         "Times the log came to rest (no write for 10 s): memtables flushed, freed memory handed back.",
                         s.rests.load());
  metrics::append_metric(out, "oee_log_checkpoints_total", "counter",
                         "Checkpoints of the open orders written (opening the log folds only the events after the latest).",
                         s.checkpoints.load());
  const std::optional<ClusterView> cluster = app.cluster ? std::optional(app.cluster(false)) : std::nullopt;
  const std::uint64_t illegal = s.illegal_events.load() + (cluster ? cluster->illegal_events : std::uint64_t{0});
  metrics::append_metric(out, "oee_illegal_events_total", "counter",
                         "Stored events illegal in their order's state (a log written by an older build), skipped "
                         "for that order only.",
                         illegal);
  if (cluster) {
    metrics::append_metric(out, "oee_forwarded_writes_total", "counter",
                           "Writes (submits, cancels, amendments, dead-letter actions, key events) this node sent to "
                           "their partition's owner, the partition's only writer.",
                           cluster->forwarded_writes);
    metrics::append_metric(out, "oee_answered_reads_total", "counter",
                           "Reads of the partitions this node owns that it answered for other nodes: one per "
                           "request, a page of many orders counting once.",
                           cluster->answered_reads);
    metrics::append_header(out, "oee_refused_messages_total", "counter",
                           "Messages on the partitions' subjects this node refused: batches heard live that the "
                           "partition's stream does not show as its owner's (read from the stream instead), and "
                           "writes forwarded to it as owner that it may not store.");
    metrics::append_sample(out, "oee_refused_messages_total", R"(kind="live_batch")", cluster->refused_live_batches);
    metrics::append_sample(out, "oee_refused_messages_total", R"(kind="forward")", cluster->refused_forwards);
  }
  metrics::append_metric(out, "oee_log_open_orders", "gauge",
                         "Orders not finished, whose state the log holds in memory.", s.open_orders.load());
  const auto memory = app.log.memory();
  metrics::append_header(out, "oee_log_memory_bytes", "gauge", "What the event log's storage holds in memory.");
  metrics::append_sample(out, "oee_log_memory_bytes", R"(part="memtables")", memory.memtables);
  metrics::append_sample(out, "oee_log_memory_bytes", R"(part="table_readers")", memory.table_readers);
  metrics::append_sample(out, "oee_log_memory_bytes", R"(part="block_cache")", memory.block_cache);
  metrics::append_metric(out, "oee_log_block_cache_capacity_bytes", "gauge",
                         "The block cache's bound (--log-memory).", memory.block_cache_capacity);
  metrics::append_metric(out, "oee_log_memtable_limit_bytes", "gauge",
                         "The memtables' bound (--log-memory); appends wait at it. Lifted while the storage fails.",
                         memory.memtable_limit);
  metrics::append_header(out, "oee_log_append_seconds", "histogram", "Queue-to-durable latency of an append.");
  s.append_latency_seconds.render(out, "oee_log_append_seconds");
  metrics::append_header(out, "oee_log_batch_size", "histogram", "Commands per group commit.");
  s.batch_size.render(out, "oee_log_batch_size");
  app.metrics.render(out);
  append_connection_metrics(out, app.server);
  // Each metric's samples together, as the text format requires.
  metrics::append_header(out, "oee_consumer_lag_events", "gauge", "Events not yet processed by a consumer.");
  metrics::append_sample(out, "oee_consumer_lag_events", R"(consumer="fanout")", app.hub.backlog());
  std::optional<PublisherStatus> redis;
  std::optional<projections::ProjectorStatus> projector;
  if (app.publishing) {
    redis = app.publishing();
    metrics::append_sample(out, "oee_consumer_lag_events", R"(consumer="redis")", redis->lag_events);
  }
  if (app.projector != nullptr) {
    projector = app.projector->status();
    metrics::append_sample(out, "oee_consumer_lag_events", R"(consumer="projector")", projector->lag_events);
  }
  if (redis) {
    metrics::append_metric(out, "oee_redis_up", "gauge", "Whether the publisher is connected to Redis.",
                           redis->connected ? 1 : 0);
    metrics::append_metric(out, "oee_redis_published_total", "counter", "PUBLISH commands Redis acknowledged.",
                           redis->messages);
  }
  if (projector) {
    metrics::append_metric(out, "oee_projection_lag_seconds", "gauge", "Age of the newest event not yet in PostgreSQL.",
                           projector->lag_seconds);
    metrics::append_metric(out, "oee_projection_up", "gauge", "Whether the projector is connected to PostgreSQL.",
                           projector->connected ? 1 : 0);
  }
  return HttpResponse{200, std::move(out), "text/plain; version=0.0.4", {}};
}

}  // namespace oee::api
