#pragma once
// OpenSSL contexts: a server's (its certificate chain and key) and a
// client's (the CAs it trusts). TLS 1.2 and 1.3 only; for 1.2, ECDHE key
// exchange with AEAD ciphers only (forward secrecy, no CBC).

#include <memory>
#include <string>

#include <boost/system/result.hpp>

namespace boost::asio::ssl {
class context;
}

namespace oee::api {

using TlsContext = std::shared_ptr<boost::asio::ssl::context>;

/// From PEM files; an error says which file and what is wrong with it.
[[nodiscard]] boost::system::result<TlsContext, std::string> server_tls_context(const std::string& cert_file,
                                                                                const std::string& key_file);
/// Verifies servers against `ca_file` (PEM), or the system's CAs if empty.
[[nodiscard]] boost::system::result<TlsContext, std::string> client_tls_context(const std::string& ca_file);

}  // namespace oee::api
