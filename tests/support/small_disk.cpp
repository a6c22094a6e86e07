#include "small_disk.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace oee::testing {

SmallDisk::SmallDisk(std::filesystem::path where, const std::string& size) : path_(std::move(where)) {
  std::filesystem::create_directories(path_);
  const std::string data = "size=" + size;
  mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, data.c_str()) == 0;
}

std::optional<std::string> SmallDisk::cannot_mount() {
  static const std::optional<std::string> why = []() -> std::optional<std::string> {
    if (::geteuid() != 0) return "mounting a tmpfs needs root";
    const auto probe = std::filesystem::temp_directory_path() / ("oee-mount-probe-" + std::to_string(::getpid()));
    errno = 0;
    const SmallDisk disk(probe, "1m");
    if (disk.mounted()) return std::nullopt;
    return "mounting a tmpfs failed (" + std::string(std::strerror(errno)) +
           "): root without CAP_SYS_ADMIN, as in most containers";
  }();
  return why;
}

SmallDisk::~SmallDisk() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove(path_, ec);  // the mount point, empty again
}

std::size_t fill_disk(const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  const std::string block(1 << 20, '\0');
  std::size_t written = 0;
  while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) written += block.size();
  return written;
}

}  // namespace oee::testing
