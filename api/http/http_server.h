#pragma once
// The HTTP/1.1 + WebSocket server (Boost.Beast, C++20 coroutines).
//
// Lifecycle: start() binds and begins accepting; stop() closes the
// listener and every open connection, and waits for them to be gone.
// Threading: connections are spread over the server's threads, and each
// stays on one for its life, so what its requests allocate is freed on the
// thread that allocated it and its completions never wait for another
// thread's lock. The price: a slow request holds up the connections that
// share its thread, where a shared io_context would let another thread
// take them. The first thread runs the given io_context (shared with the rest
// of the process, and run by any further run_thread() callers too: there
// each connection has a strand of its own); each other thread runs a loop
// of the server's own. Ownership: the server references its ServerContext,
// which must outlive it.

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "api/http/server_context.h"

namespace oee::api {

class HttpServer {
 public:
  /// `threads`: how many threads will call run_thread().
  HttpServer(boost::asio::io_context& ioc, ServerContext& ctx, unsigned threads = 1);
  ~HttpServer();

  /// Binds config.bind:port; throws std::runtime_error if it cannot.
  void start();
  /// Closes the listener and asks every connection to close: one waiting
  /// for a request at once, one being answered after its answer, a
  /// WebSocket with close code 1001 (going away). Returns true once none
  /// is left; after `grace`, cuts those left and returns false once they
  /// are gone (or after a short wait). The io_context must be running on
  /// other threads; call it from none of them.
  bool stop(std::chrono::milliseconds grace);
  /// Runs the io_context (the first caller), or the next of the server's
  /// own loops, on the calling thread until it stops. An exception escaping
  /// a handler is counted (oee_http_session_errors_total) and logged, never
  /// fatal to the process.
  void run_thread();
  /// After stop(), ends the server's own loops as io_context::stop() ends
  /// the given one: their run_thread() calls return.
  void stop_threads();
  [[nodiscard]] std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace oee::api
