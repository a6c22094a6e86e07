#pragma once
// Reading one request off a connection: its head whole (so that what Beast
// would quietly accept, a folded field, is seen first), within the head's
// and the idle timeouts, then its body within the limits (http_framing).

#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "api/http/api_error.h"
#include "api/http/http_framing.h"
#include "api/http/server_context.h"
#include "api/tls/transport.h"

namespace oee::api {

struct RequestRead {
  bool gone = false;                // the client closed or went silent: nothing to answer
  std::optional<ApiError> refusal;  // what was wrong with what it sent
};

/// One request, read whole within `config`'s limits into `request_parser`.
/// `first`: the connection's first request. A new connection has
/// --header-timeout to send its whole head; a kept-alive one may wait
/// --http-idle-timeout for its next request, then has the header timeout
/// from its first byte. While nothing of a request has come, `slot` is
/// idle: the first to be shed when descriptors run out.
[[nodiscard]] boost::asio::awaitable<RequestRead> read_request(Transport& stream, boost::beast::flat_buffer& buffer,
                                                               RequestParser& request_parser, ConnectionSlot& slot,
                                                               const ServerConfig& config, bool first);

}  // namespace oee::api
