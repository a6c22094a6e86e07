#include "api/server/chain_writing.h"

#include <spdlog/spdlog.h>

namespace oee::api {

namespace js = eventlog::jetstream;

namespace {

/// How long a node whose writer was fenced out or failed to start leaves
/// the lease to others.
constexpr std::chrono::seconds kStepAside{2};

js::LeaseOptions chain_lease_options(const std::string& node, const std::string& incarnation,
                                     std::chrono::milliseconds ttl) {
  js::LeaseOptions o;
  o.self = js::LeaseHolder{node, incarnation};
  o.ttl = ttl;
  o.keys = {js::kChainLease};
  return o;
}

}  // namespace

std::chrono::milliseconds chain_slot(bool fast) { return fast ? std::chrono::milliseconds(0) : std::chrono::milliseconds(400); }

ChainWriting::ChainWriting(js::Connection& connection, js::KvBucket leases, std::string node,
                           std::chrono::milliseconds lease_ttl, js::ChainWriterOptions writer)
    : connection_(connection),
      options_([&] {
        writer.writer = node + "/" + OrderId::random().str().substr(0, 8);
        return writer;
      }()),
      lease_(std::move(leases), chain_lease_options(node, options_.writer, lease_ttl),
             [this](const std::string&, bool is_held) { held(is_held); }) {}

ChainWriting::~ChainWriting() { stop(); }

void ChainWriting::start() { lease_.start(); }

void ChainWriting::stop() {
  lease_.stop(true);
  writer_.reset();
}

void ChainWriting::held(bool is_held) {
  writer_.reset();
  if (!is_held) return;
  auto started = js::ChainWriter::start(
      connection_, options_, [this] { lease_.drop(js::kChainLease, kStepAside); },
      [this] { return lease_.fresh(js::kChainLease); });
  if (!started) {
    spdlog::warn("chain: this node holds the chain's lease but cannot write its blocks ({}); it steps aside",
                 started.error().message());
    lease_.release(js::kChainLease, kStepAside);
    return;
  }
  writer_ = std::move(*started);
}

}  // namespace oee::api
