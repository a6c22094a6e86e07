#include "tools/chaos/chain_ledger.h"

#include <stdexcept>
#include <thread>

#include "eventlog/jetstream/chain_blocks.h"
#include "eventlog/jetstream/connection.h"

namespace oee::chaos {

namespace js = eventlog::jetstream;

ChainLedger::ChainLedger(const std::string& nats_urls) {
  js::ConnectOptions options;
  options.urls = js::parse_urls(nats_urls);
  options.name = "oee-chaos";
  options.read_only = true;  // the tools' user: it reads the ledger, never writes it
  connection_ = js::Connection::connect(options);
}

ChainLedger::~ChainLedger() = default;

void ChainLedger::read() {
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto ledger = js::read_chain(*connection_);
    if (ledger) {
      if (!ledger->twice.empty())
        throw std::runtime_error("the chain gave " + std::to_string(ledger->twice.size()) +
                                 " signatures two outcomes, e.g. " + ledger->twice.front());
      outcomes_ = std::move(ledger->outcomes);
      blocks_ = ledger->blocks;
      return;
    }
    why = ledger.error().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw std::runtime_error("cannot read the chain's blocks: " + why);
}

std::optional<core::TxResult> ChainLedger::outcome(const std::string& signature) {
  if (!outcomes_.contains(signature)) read();
  const auto it = outcomes_.find(signature);
  if (it == outcomes_.end()) return std::nullopt;
  auto parsed = core::parse_ledger_value(it->second);
  if (!parsed) throw std::runtime_error("the chain's value for " + signature + " is not an outcome: " + it->second);
  return parsed;
}

}  // namespace oee::chaos
