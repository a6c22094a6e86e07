#include "core/landed_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace oee::core {

LandedJournal::LandedJournal(std::filesystem::path file) : path_(std::move(file)) {
  std::filesystem::create_directories(path_.parent_path());
  {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      // A line cut short by a crash has no amount: that transaction never
      // finished landing, and the executor will send it again.
      if (in.eof()) break;
      const auto space = line.find(' ');
      if (space == std::string::npos) continue;
      loaded_.emplace_back(line.substr(0, space), Amount{std::stoull(line.substr(space + 1))});
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the simulated chain journal " + path_.string() + ": " +
                             std::strerror(errno));
  }
}

LandedJournal::~LandedJournal() {
  if (fd_ >= 0) ::close(fd_);
}

std::error_code LandedJournal::record(const std::string& tx_id, Amount amount_out) {
  const std::string line = tx_id + " " + std::to_string(amount_out.base) + "\n";
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::error_code ec(errno, std::generic_category());
      if (before >= 0 && ::ftruncate(fd_, before) != 0) {
        // Left as it is: the loader skips a line it cannot parse.
      }
      return ec;
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace oee::core
