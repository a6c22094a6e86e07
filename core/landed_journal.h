#pragma once
// The simulated chain's memory of landed transactions, kept in a file so it
// outlives an oee-server crash, as a real chain would. One line per landed
// transaction ("<tx id> <amount out>\n"), appended with write(2): it
// survives kill -9 of the process (the page cache keeps it), not a power
// loss, which is enough for a simulation.
//
// Thread-compatible: the chain serialises calls under its own lock.

#include <filesystem>
#include <system_error>
#include <string>
#include <utility>
#include <vector>

#include "core/amount.h"

namespace oee::core {

class LandedJournal {
 public:
  /// Opens (creating) the file and reads its entries. Throws on I/O errors.
  explicit LandedJournal(std::filesystem::path file);
  ~LandedJournal();
  LandedJournal(const LandedJournal&) = delete;
  LandedJournal& operator=(const LandedJournal&) = delete;

  [[nodiscard]] const std::vector<std::pair<std::string, Amount>>& loaded() const { return loaded_; }
  /// Appends one entry. On a failed write (a full disk) the file is cut
  /// back to where it was, so a later entry never shares a line with a
  /// partial one, and the error is returned: the transaction did not land.
  [[nodiscard]] std::error_code record(const std::string& tx_id, Amount amount_out);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::pair<std::string, Amount>> loaded_;
};

}  // namespace oee::core
