#pragma once
// Drives one run: connects the followers, submits orders over keep-alive
// HTTP or over the WebSocket (closed loop, or open loop on a fixed schedule
// with --rate), and waits for their terminal statuses; stops the run's
// io_context at the end.
//
// Open loop: latency counts from when each order was due, so a stalled
// server cannot hide its queueing (no coordinated omission). Closed loop:
// each connection submits its next order when the previous one is answered.

#include <boost/asio/awaitable.hpp>

#include "tools/loadgen/run.h"

namespace oee::loadgen {

boost::asio::awaitable<void> run_all(Run& run);

}  // namespace oee::loadgen
