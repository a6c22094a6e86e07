#pragma once
#include <system_error>

#include <boost/system/result.hpp>

namespace oee::eventlog {

template <class T>
using Result = boost::system::result<T, std::error_code>;

enum class Errc {
  ok = 0,
  io_error = 1,     // the storage rejected a read or write
  corrupted = 2,    // a stored value failed its checksum or could not be decoded
  closed = 3,       // the log is closed or closing
  read_only = 4,    // a write was attempted on a secondary
  unavailable = 5,  // writes are refused until the storage recovers (disk full, I/O error); see write_error()
  superseded = 6,   // a conditional append: another entry came after the one the caller had seen
  illegal = 7,      // a stored event decodes but is illegal in its order's state (written by an older build)
  no_owner = 8,     // a cluster partition had no owner to take the write within the append timeout: nothing stored
  too_late = 9,     // a store that keeps a key only while it is valid (the chain's): this key's validity ended
                    // too long ago to store it now; it holds nothing and never will
};

const std::error_category& log_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), log_category()}; }

/// What a caller of any log can do about a failure, whichever log (or
/// layer under it) failed: compare the error code with one of these
/// (`ec == Failure::outcome_unknown`) rather than with each log's codes.
enum class Failure {
  /// Sent and not answered in time: it may have been stored. A write is
  /// sent again with the same idempotency key; a read is asked again.
  outcome_unknown = 1,
  /// A cluster partition between owners: nothing was stored or read; a new
  /// owner comes within a lease.
  no_owner = 2,
  /// The storage cannot be reached or written right now (no server
  /// reachable, disk full): nothing was stored.
  unavailable = 3,
  /// Another writer took the log over: this one must stop.
  fenced = 4,
};

const std::error_category& failure_category() noexcept;
inline std::error_condition make_error_condition(Failure f) noexcept {
  return {static_cast<int>(f), failure_category()};
}

}  // namespace oee::eventlog

template <>
struct std::is_error_code_enum<oee::eventlog::Errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<oee::eventlog::Failure> : std::true_type {};
