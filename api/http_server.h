#pragma once
// The HTTP/1.1 + WebSocket server (Boost.Beast, C++20 coroutines).
//
// Lifecycle: start() binds and begins accepting; stop() closes the
// listener and every open connection. Threading: each connection runs on
// its own strand of the given io_context, which may be run by several
// threads. Ownership: the server references its ServerContext, which must
// outlive it.

#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "api/server_context.h"

namespace oee::api {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, ServerContext& ctx);
  ~HttpServer();

  /// Binds config.bind:port; throws std::runtime_error if it cannot.
  void start();
  void stop();
  /// Runs the io_context on the calling thread until it stops. An exception
  /// escaping a handler is counted (oee_http_session_errors_total) and
  /// logged, never fatal to the process.
  void run_thread();
  [[nodiscard]] std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace oee::api
