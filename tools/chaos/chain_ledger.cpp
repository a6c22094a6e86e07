#include "tools/chaos/chain_ledger.h"

#include <stdexcept>
#include <thread>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/jetstream/layout.h"

namespace oee::chaos {

namespace js = eventlog::jetstream;

ChainLedger::ChainLedger(const std::string& nats_urls) {
  js::ConnectOptions options;
  options.urls = js::parse_urls(nats_urls);
  options.name = "oee-chaos";
  options.read_only = true;  // the tools' user: it reads the ledger, never writes it
  connection_ = js::Connection::connect(options);
  auto bucket = js::KvBucket::open(*connection_, js::BucketSpec{js::kChainBucket}, std::chrono::seconds(30));
  if (!bucket) throw std::runtime_error("cannot open the chain's bucket " + std::string(js::kChainBucket) + ": " +
                                        bucket.error().message());
  bucket_ = std::make_unique<js::KvBucket>(std::move(*bucket));
}

ChainLedger::~ChainLedger() = default;

std::optional<core::TxResult> ChainLedger::outcome(const std::string& signature) {
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto entry = bucket_->get(signature);
    if (entry) {
      if (!*entry) return std::nullopt;
      auto parsed = core::parse_ledger_value((*entry)->value);
      if (!parsed) throw std::runtime_error("the chain's value for " + signature + " is not an outcome: " + (*entry)->value);
      return parsed;
    }
    why = entry.error().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw std::runtime_error("cannot read " + signature + " from the chain's bucket: " + why);
}

}  // namespace oee::chaos
