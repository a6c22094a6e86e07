#pragma once
// A gateway's copy of the core's API keys: listed from the core each time
// the Redis feed (re)subscribes or has a gap, and whenever the feed says a
// key was created. A revocation on the feed is applied at once. Keys come
// only from the core, so whoever can publish to Redis can take a key's
// power away but never grant one. Until the first listing the ring is not
// complete, and a key it does not know is "not known yet" (503), not 401.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "api/auth/key_ring.h"
#include "api/gateway/core_client.h"
#include "core/wire/key_message.h"

namespace oee::api {

class KeySync {
 public:
  KeySync(KeyRing& ring, std::shared_ptr<const CoreClient> core, boost::asio::any_io_executor executor);

  /// One key event from the feed: a revocation is applied, a creation
  /// asks the core for the keys. Any thread.
  void apply(const core::KeyMessage& message);
  /// Lists every key from the core, retrying each second until it answers.
  /// Calls while a listing runs make one more listing after it, however
  /// many they are (so a flood of feed messages cannot flood the core).
  /// Any thread.
  void refresh();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace oee::api
