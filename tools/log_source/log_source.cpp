#include "tools/log_source/log_source.h"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/wire/event_codec.h"
#include "eventlog/jetstream/cluster.h"
#include "eventlog/jetstream/cluster_log.h"
#include "eventlog/jetstream/chain_ledger.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/rocksdb/rocksdb_log.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace oee::tools {

namespace js = eventlog::jetstream;

std::string LogSource::describe() const { return clustered() ? "the cluster log" : eventlog::log_directory(data_dir); }

OpenLog::OpenLog() = default;
OpenLog::OpenLog(OpenLog&&) noexcept = default;
OpenLog& OpenLog::operator=(OpenLog&&) noexcept = default;
OpenLog::~OpenLog() {
  log.reset();  // before the cluster it reads
}

OpenLog open_log(const LogSource& source, const std::string& tool) {
  OpenLog out;
  if (!source.clustered()) {
    if (!std::filesystem::exists(source.data_dir)) throw std::runtime_error("no such directory: " + source.data_dir);
    out.log = eventlog::open_secondary(
        eventlog::Options{.path = eventlog::log_directory(source.data_dir), .fold = core::fold_for_log});
    return out;
  }
  js::ClusterOptions options;
  options.connect.urls = js::parse_urls(source.nats);
  options.connect.creds_file = source.nats_creds;
  options.connect.ca_file = source.nats_ca;
  options.connect.read_only = true;  // a tool reads, with the narrowest NATS user that lets it (docs/SCALING.md)
  options.node = fmt::format("{}-{}", tool, ::getpid());
  options.reader = true;
  options.fold = core::fold_for_log;
  out.cluster = js::Cluster::open(std::move(options));
  out.log = js::open_cluster_log(*out.cluster);
  return out;
}

std::unique_ptr<eventlog::KeyValueStore> open_ledger(const LogSource& source, OpenLog& opened) {
  if (opened.cluster) return js::open_chain_reader(opened.cluster->connection());
  const auto path = std::filesystem::path(source.data_dir) / "simchain" / "ledger";
  if (!std::filesystem::exists(path)) return nullptr;
  return eventlog::open_rocksdb_store(eventlog::StoreOptions{.path = path.string(), .read_only = true});
}

}  // namespace oee::tools
