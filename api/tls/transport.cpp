#include "api/tls/transport.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace oee::api {

void Transport::start_tls(boost::asio::ssl::context& context) {
  if (secure()) return;
  Tcp tcp = std::move(std::get<Tcp>(stream_));
  stream_.emplace<Tls>(std::move(tcp), context);
}

void Transport::start_tls(boost::asio::ssl::context& context, const std::string& host) {
  start_tls(context);
  auto& tls = std::get<Tls>(stream_);
  boost::system::error_code not_an_address;
  (void)boost::asio::ip::make_address(host, not_an_address);
  if (not_an_address) SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());
  tls.set_verify_callback(boost::asio::ssl::host_name_verification(host));
}

void Transport::start_read_some(const MutableBuffers& buffers, Handler handler) {
  std::visit([&](auto& s) { s.async_read_some(buffers, std::move(handler)); }, stream_);
}

void Transport::start_write_some(const ConstBuffers& buffers, Handler handler) {
  std::visit([&](auto& s) { s.async_write_some(buffers, std::move(handler)); }, stream_);
}

Transport::Tcp& Transport::tcp() {
  if (auto* tls = std::get_if<Tls>(&stream_)) return tls->next_layer();
  return std::get<Tcp>(stream_);
}

bool tls_connection_lost(const boost::system::error_code& ec) {
  return ec == boost::asio::ssl::error::stream_truncated || ec.category() == boost::asio::error::get_ssl_category();
}

void teardown(boost::beast::role_type role, Transport& transport, boost::system::error_code& ec) {
  using boost::beast::teardown;
  if (auto* tls = transport.tls()) {
    teardown(role, *tls, ec);
  } else {
    teardown(role, transport.tcp(), ec);
  }
}

}  // namespace oee::api
