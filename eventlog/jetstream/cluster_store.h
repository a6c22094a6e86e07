#pragma once
// A KeyValueStore kept in the cluster (a JetStream key-value bucket), for
// what every node must see the same: the simulated chain's landed
// transactions, so a transaction sent again by the node that took a
// partition over lands once, as a real chain refuses a signature it has.
//
// Puts are create-only: a key that holds a value keeps it, and the put
// fails with JsErrc::exists (the caller reads the value that won). A put
// returns once JetStream has acknowledged it (a majority of the bucket's
// replicas hold it), so sync() has nothing left to do.
//
// Thread-safe; the connection must outlive the store.

#include <memory>

#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/key_value_store.h"

namespace oee::eventlog::jetstream {

[[nodiscard]] std::unique_ptr<KeyValueStore> open_cluster_store(KvBucket bucket);

}  // namespace oee::eventlog::jetstream
