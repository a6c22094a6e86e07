#include "eventlog/rocksdb/detail/memory_listeners.h"

#include <malloc.h>

namespace oee::eventlog::detail {

void ReturnFreedMemory::trim() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_.load();
  if (last != 0 && now - last < std::chrono::steady_clock::duration(kInterval).count()) return;
  if (!last_.compare_exchange_strong(last, now)) return;  // another thread is trimming
  ::malloc_trim(0);
}

}  // namespace oee::eventlog::detail
