#include "core/landed_journal.h"

#include <charconv>
#include <fstream>
#include <stdexcept>
#include <string>

namespace oee::core {

std::size_t import_landed_journal(const std::filesystem::path& file, eventlog::KeyValueStore& ledger) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return 0;
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
    const std::string_view amount = std::string_view(line).substr(space + 1);
    std::uint64_t out = 0;
    const auto [end, parse_ec] = std::from_chars(amount.data(), amount.data() + amount.size(), out);
    if (parse_ec != std::errc{} || end != amount.data() + amount.size()) continue;
    if (const auto put_ec = ledger.put(std::string_view(line).substr(0, space), amount)) {
      throw std::runtime_error("cannot copy the simulated chain's journal " + file.string() +
                               " into its ledger: " + put_ec.message() + " " + ledger.write_error());
    }
    ++copied;
  }
  std::filesystem::rename(file, file.string() + ".imported", ec);
  if (ec) {
    throw std::runtime_error("copied the simulated chain's journal but cannot rename " + file.string() + ": " +
                             ec.message());
  }
  return copied;
}

}  // namespace oee::core
