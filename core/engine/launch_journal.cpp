#include "core/engine/launch_journal.h"

#include "core/engine/market_entry.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace oee::core {

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw std::runtime_error(fmt::format("the simulated market's launches ({}): {}", file.string(), what));
}

}  // namespace

LaunchJournal::LaunchJournal(std::filesystem::path file, Market& market) : file_(std::move(file)), market_(market) {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(file_, std::strerror(errno));
  try {
    restore();
  } catch (...) {
    ::close(fd_);  // no destructor runs for a constructor that throws
    throw;
  }
}

void LaunchJournal::restore() {
  std::ifstream in(file_, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: cut short by a crash while it was written
    const auto launch = parse_launch_line(line);
    if (!launch) fail(file_, fmt::format("line {} is not a launch: \"{}\"", restored_ + 1, line));
    if (const auto restored = market_.restore(*launch); !restored) {
      fail(file_, fmt::format("launch {} does not restore: {}", launch->number, describe(restored.error())));
    }
    ++restored_;
    size_ += line.size() + 1;
  }
  if (in.bad()) fail(file_, "cannot be read");
  // Whatever follows the last whole line goes, so the next launch starts a line.
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) fail(file_, std::strerror(errno));
}

LaunchJournal::~LaunchJournal() {
  if (fd_ >= 0) ::close(fd_);
}

boost::system::result<std::vector<Launch>, LaunchError> LaunchJournal::launch(std::vector<Launch> launches) {
  return market_.launch(std::move(launches), [this](std::span<const Launch> numbered) { return record(numbered); });
}

boost::system::result<void, PriceError> LaunchJournal::set_price(const PriceSetting& p) {
  if (!market_.pin_price(p.venue, p.base.token(), p.quote.token(), p.price_e12)) return PriceError::refused;
  return {};
}

// Runs with the market's launcher lock held: one at a time.
bool LaunchJournal::record(std::span<const Launch> launches) {
  std::string lines;
  for (const Launch& l : launches) lines += launch_line(l);
  const bool written = ::pwrite(fd_, lines.data(), lines.size(), static_cast<off_t>(size_)) ==
                           static_cast<ssize_t>(lines.size()) &&
                       ::fdatasync(fd_) == 0;
  if (!written) {
    // A partial line would end the file's readable part: cut it off.
    (void)::ftruncate(fd_, static_cast<off_t>(size_));
    return false;
  }
  size_ += lines.size();
  return true;
}

}  // namespace oee::core
