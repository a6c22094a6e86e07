#pragma once
// A connection's bytes: plain TCP, or TLS over it. One stream type for
// both, so the HTTP and WebSocket sessions and the clients are written
// once; which it is is settled when the connection starts (a server
// detects it from the first bytes, a client takes it from the scheme).
//
// A Beast AsyncStream and SyncStream; websocket::stream<Transport> tears
// a connection down as its kind needs (TLS: close_notify first).

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace oee::api {

/// The first non-empty buffers of a buffer sequence, at most `kMax` of
/// them: enough for a *_some operation, which may move fewer bytes than it
/// is given (empty ones are left out so that one with bytes left moves some).
template <class Buffer>
class BufferList {
 public:
  static constexpr std::size_t kMax = 16;
  template <class Buffers>
  explicit BufferList(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && size_ < kMax; ++it) {
      if (Buffer(*it).size() > 0) buffers_[size_++] = Buffer(*it);
    }
  }
  [[nodiscard]] const Buffer* begin() const { return buffers_.data(); }
  [[nodiscard]] const Buffer* end() const { return buffers_.data() + size_; }

 private:
  std::array<Buffer, kMax> buffers_{};
  std::size_t size_ = 0;
};
using MutableBuffers = BufferList<boost::asio::mutable_buffer>;
using ConstBuffers = BufferList<boost::asio::const_buffer>;

class Transport {
 public:
  using Tcp = boost::beast::tcp_stream;
  using Tls = boost::beast::ssl_stream<Tcp>;
  using executor_type = Tcp::executor_type;

  explicit Transport(Tcp tcp) : stream_(std::move(tcp)) {}

  /// Wraps the TCP connection in TLS under `context`; the handshake is the
  /// caller's (tls()->async_handshake).
  void start_tls(boost::asio::ssl::context& context);
  /// The same for a client of `host`: names it to the server (SNI, unless
  /// it is an address) and accepts only a certificate issued for it.
  void start_tls(boost::asio::ssl::context& context, const std::string& host);
  /// start_tls(context, host), then the client's handshake.
  template <class Token>
  auto async_client_handshake(boost::asio::ssl::context& context, const std::string& host, Token&& token) {
    start_tls(context, host);
    return tls()->async_handshake(boost::asio::ssl::stream_base::client, std::forward<Token>(token));
  }
  /// The same, blocking (the command-line tools); throws on failure.
  void client_handshake(boost::asio::ssl::context& context, const std::string& host) {
    start_tls(context, host);
    tls()->handshake(boost::asio::ssl::stream_base::client);
  }

  [[nodiscard]] bool secure() const { return std::holds_alternative<Tls>(stream_); }
  /// The TLS layer, or null on plain TCP.
  [[nodiscard]] Tls* tls() { return std::get_if<Tls>(&stream_); }
  /// The TCP layer: its socket, timeouts and close.
  [[nodiscard]] Tcp& tcp();
  /// For beast::get_lowest_layer.
  [[nodiscard]] Tcp& next_layer() { return tcp(); }
  [[nodiscard]] executor_type get_executor() { return tcp().get_executor(); }

  /// Beast's reads and writes all come through these two. Over TLS they
  /// hand the buffers and the handler on in one fixed type each, so that
  /// OpenSSL's operations are instantiated once (transport.cpp) rather than
  /// for every composed operation in every file that uses a stream. Plain
  /// TCP, the path every benchmark measures, keeps its handlers' own types:
  /// erasing them too made it dearer (docs/development.md).
  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (auto* tcp = std::get_if<Tcp>(&stream_)) {
            tcp->async_read_some(b, std::move(handler));
          } else {
            start_read_some(MutableBuffers(b), erase(std::move(handler)));
          }
        },
        token, buffers);
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (auto* tcp = std::get_if<Tcp>(&stream_)) {
            tcp->async_write_some(b, std::move(handler));
          } else {
            start_write_some(ConstBuffers(b), erase(std::move(handler)));
          }
        },
        token, buffers);
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    return std::visit([&](auto& s) { return s.read_some(buffers, ec); }, stream_);
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    return std::visit([&](auto& s) { return s.read_some(buffers); }, stream_);
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    return std::visit([&](auto& s) { return s.write_some(buffers, ec); }, stream_);
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    return std::visit([&](auto& s) { return s.write_some(buffers); }, stream_);
  }

 private:
  // The handler's own executor is kept as an any_io_executor beside it:
  // the one any_completion_handler carries cannot be asked for
  // blocking.never, which tcp_stream's post of an immediate completion needs.
  using Handler =
      boost::asio::executor_binder<boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>,
                                   boost::asio::any_io_executor>;
  template <class H>
  Handler erase(H handler) {
    const boost::asio::any_io_executor executor = boost::asio::get_associated_executor(handler, get_executor());
    return Handler(boost::asio::executor_arg, executor, std::move(handler));
  }
  void start_read_some(const MutableBuffers& buffers, Handler handler);
  void start_write_some(const ConstBuffers& buffers, Handler handler);

  std::variant<Tcp, Tls> stream_;
};

/// Whether a read's error means the TLS connection is gone: a peer that
/// closed without close_notify (most do) is stream_truncated, and any
/// other TLS error leaves nothing to answer on.
[[nodiscard]] bool tls_connection_lost(const boost::system::error_code& ec);

void teardown(boost::beast::role_type role, Transport& transport, boost::system::error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type role, Transport& transport, Handler&& handler) {
  using boost::beast::async_teardown;
  if (auto* tls = transport.tls()) {
    async_teardown(role, *tls, std::forward<Handler>(handler));
  } else {
    async_teardown(role, transport.tcp(), std::forward<Handler>(handler));
  }
}

}  // namespace oee::api
