#pragma once
// oee-server with --nats: a node of a cluster (cluster_node.cpp).

#include "api/server/server_options.h"

namespace oee::api {

/// Runs until SIGINT/SIGTERM; returns the process's exit status.
int run_cluster_node(ServerOptions& options);

}  // namespace oee::api
