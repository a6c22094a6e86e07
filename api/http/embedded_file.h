#pragma once
// A text file carried in the binary (tools/embed_files.cmake generates the
// list of them: the server's pages, its API description, the dashboard).

#include <algorithm>
#include <span>
#include <string_view>

namespace oee::api {

struct EmbeddedFile {
  std::string_view name;  // the file's name, with or without its extension as embedded
  std::string_view text;
};

/// The file called `name` among `files`, or nullptr.
[[nodiscard]] inline const EmbeddedFile* find_embedded(std::span<const EmbeddedFile> files, std::string_view name) {
  const auto it = std::find_if(files.begin(), files.end(), [&](const EmbeddedFile& f) { return f.name == name; });
  return it == files.end() ? nullptr : &*it;
}

}  // namespace oee::api
