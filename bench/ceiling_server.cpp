// The ceiling for submit throughput: a Boost.Beast server of the same shape
// as oee-server (C++20 coroutines, a strand per connection, keep-alive,
// the same body and header limits, TCP_NODELAY) that answers the submit POST
// with a 202 JSON body and does no work. bench/run measures both side by
// side: the gap is what the engine costs.
//
//   oee-bench-ceiling [--port 0] [--threads 2]

#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/engine/use_tuple.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

asio::awaitable<void> session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  std::uint64_t seq = 0;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(64 * 1024);
    stream.expires_after(std::chrono::seconds(60));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, oee::use_tuple);
    if (ec) break;
    auto req = parser.release();
    http::response<http::string_body> res{http::status::accepted, req.version()};
    res.set(http::field::server, "oee");
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = R"({"orderId":"00000000-0000-4000-8000-000000000000","status":"pending","seq":)" +
                 std::to_string(++seq) + "}";
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, oee::use_tuple);
    if (wec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(asio::io_context& ioc, tcp::acceptor& acceptor) {
  for (;;) {
    auto strand = asio::make_strand(ioc);
    auto [ec, socket] = co_await acceptor.async_accept(strand, oee::use_tuple);
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    auto ex = socket.get_executor();
    asio::co_spawn(ex, session(beast::tcp_stream(std::move(socket))), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oee-bench-ceiling: a Beast server that answers every request with 202 and does no work"};
  std::uint16_t port = 0;
  unsigned threads = 2;
  cli.add_option("--port", port, "TCP port on 127.0.0.1 (0 picks a free one)");
  cli.add_option("--threads", threads, "Threads")->check(CLI::Range(1u, 64u));
  CLI11_PARSE(cli, argc, argv);

  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::co_spawn(ioc, listen(ioc, acceptor), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ioc.stop(); });
  std::printf("LISTENING 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
