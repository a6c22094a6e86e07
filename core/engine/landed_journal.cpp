#include "core/engine/landed_journal.h"

#include "core/engine/sim_chain.h"

#include <fstream>
#include <stdexcept>
#include <string>

namespace oee::core {

std::size_t import_landed_journal(const std::filesystem::path& file, eventlog::KeyValueStore& ledger) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (ec) throw std::runtime_error("cannot look for the simulated chain's journal " + file.string() + ": " + ec.message());
    return 0;
  }
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the simulated chain's journal " + file.string());
  std::size_t copied = 0;
  std::string line;
  while (std::getline(in, line)) {
    // A line cut short by a crash has no newline: that transaction never
    // finished landing, and the executor will send it again.
    if (in.eof()) break;
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const auto landed = parse_ledger_value(std::string_view(line).substr(space + 1));
    if (!landed || landed->outcome != TxOutcome::landed) continue;
    if (const auto put_ec = ledger.put(std::string_view(line).substr(0, space), ledger_value(landed->amount_out))) {
      throw std::runtime_error("cannot copy the simulated chain's journal " + file.string() +
                               " into its ledger: " + put_ec.message() + " " + ledger.write_error());
    }
    ++copied;
  }
  // Durable before the journal is renamed: a power loss in between must not
  // leave neither. Copying again after a loss is harmless (same entries).
  if (const auto sync_ec = ledger.sync()) {
    throw std::runtime_error("cannot make the simulated chain's ledger durable: " + sync_ec.message() + " " +
                             ledger.write_error());
  }
  std::filesystem::rename(file, file.string() + ".imported", ec);
  if (ec) {
    throw std::runtime_error("copied the simulated chain's journal but cannot rename " + file.string() + ": " +
                             ec.message());
  }
  return copied;
}

}  // namespace oee::core
