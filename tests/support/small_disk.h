#pragma once
// A tmpfs of a given size mounted for one test (needs root), unmounted and
// its mount point removed at the end: a disk that fills up for real, with
// ENOSPC from the kernel.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace oee::testing {

class SmallDisk {
 public:
  /// `size` as mount takes it: "16m".
  SmallDisk(std::filesystem::path where, const std::string& size);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  [[nodiscard]] bool mounted() const { return mounted_; }
  /// Why no small disk can be mounted here (not root; root without the
  /// capability, as in many containers), or nullopt if one can: tried once
  /// per process. Tests that need one skip with this as their reason.
  [[nodiscard]] static std::optional<std::string> cannot_mount();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

/// Fills the disk `file` is on with that one file; returns its size.
std::size_t fill_disk(const std::filesystem::path& file);

}  // namespace oee::testing
