#include "api/tls/tls_context.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

namespace oee::api {

namespace ssl = boost::asio::ssl;

namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

TlsContext modern(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(context->native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(context->native_handle(), kTls12Ciphers);
  return context;
}

std::string reason(const boost::system::system_error& e) {
  const auto& ec = e.code();
  return ec.category() == boost::asio::error::get_ssl_category() ? ec.message() : e.what();
}

}  // namespace

boost::system::result<TlsContext, std::string> server_tls_context(const std::string& cert_file,
                                                                  const std::string& key_file) {
  auto context = modern(ssl::context::tls_server);
  // The key first: a certificate that does not match it then leaves no key,
  // which the check below names, where the other order fails on "key
  // values mismatch".
  try {
    context->use_private_key_file(key_file, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    return "cannot use the key '" + key_file + "' (an unencrypted PEM private key): " + reason(e);
  }
  try {
    context->use_certificate_chain_file(cert_file);
  } catch (const boost::system::system_error& e) {
    return "cannot use the certificate '" + cert_file + "' (a PEM certificate chain): " + reason(e);
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return "the key '" + key_file + "' is not the certificate's ('" + cert_file + "')";
  }
  return context;
}

boost::system::result<TlsContext, std::string> client_tls_context(const std::string& ca_file) {
  auto context = modern(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  try {
    if (ca_file.empty()) {
      context->set_default_verify_paths();
    } else {
      context->load_verify_file(ca_file);
    }
  } catch (const boost::system::system_error& e) {
    return "cannot use the CA file '" + ca_file + "' (PEM certificates): " + reason(e);
  }
  return context;
}

}  // namespace oee::api
