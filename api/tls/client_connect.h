#pragma once
// How oee's clients (a gateway's client of its core, the load generator's
// submitters and followers) open a connection: resolve, connect, and TLS
// when the scheme asks for it. Written once so that they fail, and say
// why, alike.

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "api/tls/transport.h"

namespace oee::api {

/// A connection that could not be made, and the step that failed.
struct ConnectFailure {
  enum class Step { resolve, connect, tls };
  Step step = Step::connect;
  boost::system::error_code error;
  /// "cannot resolve HOST: …", "cannot connect to HOST:PORT: …" or "TLS
  /// with HOST:PORT: …".
  [[nodiscard]] std::string describe(const std::string& host, const std::string& port) const;
};

/// Resolves `host`, connects `stream` to the first of its addresses that
/// answers, turns Nagle's algorithm off (clients send small requests and
/// wait for each), and with `tls` makes the client's handshake, checking
/// the certificate against `name`. Timeouts are the caller's
/// (stream.tcp().expires_after before). nullopt once connected.
[[nodiscard]] boost::asio::awaitable<std::optional<ConnectFailure>> connect_client(Transport& stream,
                                                                                 const std::string& host,
                                                                                 const std::string& port,
                                                                                 boost::asio::ssl::context* tls,
                                                                                 const std::string& name);

}  // namespace oee::api
