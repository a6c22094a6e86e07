#pragma once
// The simulated chain's memory as earlier versions kept it: a text file,
// one line per landed transaction ("<tx id> <amount out>\n"). A data
// directory that has one is taken over by the chain's ledger once, at
// start-up, so no transaction it remembers is sent again.

#include <cstddef>
#include <filesystem>

#include "eventlog/key_value_store.h"

namespace oee::core {

/// Copies every complete line of `file` into `ledger`, then renames the
/// file to "<file>.imported" so the next start does not read it again.
/// Returns how many transactions it copied; 0 when there is no file.
/// Throws std::runtime_error if the file cannot be read or the ledger
/// written: the server must not start with half its memory.
std::size_t import_landed_journal(const std::filesystem::path& file, eventlog::KeyValueStore& ledger);

}  // namespace oee::core
