#pragma once
// End-to-end harness: a real oee-server process, a keep-alive HTTP client
// and a WebSocket client. Beast stays in harness.cpp.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "eventually.h"
#include "scratch_log.h"

namespace oee::e2e {

using TempDir = oee::testing::TempDir;

/// Any child process with its stdout on a pipe (stderr to a file).
class ChildProcess {
 public:
  /// `tmpdir`, if set, becomes the child's TMPDIR, so scratch files a
  /// killed child leaves behind go away with the test's own temp dir. A
  /// `--nats` URL that holds a password is given in OEE_NATS_URL instead
  /// of on the command line.
  explicit ChildProcess(std::vector<std::string> argv, std::string tmpdir = {});
  ~ChildProcess();
  /// The next line of stdout (without '\n'), or nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void signal(int sig);
  /// Waits for exit; returns the exit status, or -signal.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  [[nodiscard]] std::string stderr_text() const;
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool stdout_open() const { return out_ >= 0; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  std::filesystem::path stderr_path_;
};

/// oee-server as a child process on a free port (--port 0).
class ServerProcess {
 public:
  /// `launcher`: a command the server runs under, e.g. {"/usr/bin/prlimit", "--nofile=96:96"}.
  ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args,
                std::vector<std::string> launcher = {});
  ~ServerProcess();

  /// Starts the process and waits for its LISTENING line; throws on failure.
  /// Port 0 takes a free one; a restart may ask for its old port back.
  void start(unsigned short port = 0);
  void kill9();
  /// Sends SIGTERM and waits; returns the exit status (or -signal).
  int terminate(std::chrono::seconds timeout = std::chrono::seconds(20));
  [[nodiscard]] bool running() const { return child_ && child_->running(); }
  [[nodiscard]] unsigned short port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return child_ ? child_->pid() : -1; }
  [[nodiscard]] std::string stderr_tail() const;
  /// The last lines the server logged (it logs to stdout), from its start.
  [[nodiscard]] std::string stdout_tail() const;

 private:
  void stop_draining();

  std::filesystem::path data_dir_;
  std::vector<std::string> args_;
  std::vector<std::string> launcher_;
  std::unique_ptr<ChildProcess> child_;
  unsigned short port_ = 0;
  // Reads the server's stdout once it listens: a full pipe would block
  // whichever of its threads logs next.
  std::thread drain_;
  mutable std::mutex out_mu_;
  std::string out_tail_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs a command to completion and captures its output.
RunResult run(std::vector<std::string> argv, std::chrono::seconds timeout = std::chrono::seconds(60));

inline const std::string kLogdump = OEE_LOGDUMP_BIN;
inline const std::string kServer = OEE_SERVER_BIN;
inline const std::string kProjector = OEE_PROJECTOR_BIN;
inline const std::string kWatch = OEE_WATCH_BIN;
inline const std::string kLoadgen = OEE_LOADGEN_BIN;
inline const std::string kChaos = OEE_CHAOS_BIN;

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  [[nodiscard]] boost::json::value json() const;
};

/// One keep-alive HTTP/1.1 connection. Not thread-safe: one per thread.
class HttpClient {
 public:
  explicit HttpClient(unsigned short port);
  ~HttpClient();
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {{"Content-Type", "application/json"}});
  HttpResponse get(const std::string& target) { return request("GET", target, {}, {}); }
  HttpResponse post_json(const std::string& target, const std::string& body) {
    return request("POST", target, body);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Which dialect a WsClient asks for: oee's own (the subprotocol oee.v1,
/// as oee's tools do), or none, as the reference services' clients do.
enum class Dialect { v1, compat };

/// A WebSocket client with timed reads.
class WsClient {
 public:
  /// Connects and upgrades; throws on failure. A non-zero `receive_buffer`
  /// shrinks the socket's receive buffer (to play a slow reader);
  /// `authorization`, if set, is sent as the Authorization header.
  WsClient(unsigned short port, const std::string& target, int receive_buffer = 0, Dialect dialect = Dialect::v1,
           const std::string& authorization = {});
  /// The subprotocol the server accepted ("" for none).
  [[nodiscard]] const std::string& subprotocol() const;
  ~WsClient();
  void send(const std::string& text);
  /// The next text message, or nullopt on timeout or close.
  std::optional<std::string> read(std::chrono::milliseconds timeout);
  /// Close code and reason once the server closed the connection.
  [[nodiscard]] int close_code() const;
  [[nodiscard]] std::string close_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A plain TCP connection, for requests no well-behaved client would send.
class RawConnection {
 public:
  explicit RawConnection(unsigned short port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  /// Sends everything it can; false once the server has closed or reset
  /// the connection (what it answered before that is still readable).
  bool send(const std::string& bytes);
  /// Reads until `text` has arrived (true), or the connection closes or
  /// `timeout` passes (false). Everything read is in received().
  bool read_until(const std::string& text, std::chrono::milliseconds timeout);
  /// Reads until the server closes the connection (true) or `timeout`.
  bool read_until_closed(std::chrono::milliseconds timeout);
  [[nodiscard]] const std::string& received() const { return received_; }

 private:
  // Reads while `wanting()` and the peer has not closed; false on timeout or close.
  bool read_while(const std::function<bool()>& wanting, std::chrono::milliseconds timeout);

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

/// The status codes of the HTTP responses in `raw`, in order (interim
/// 1xx answers included).
std::vector<int> response_statuses(const std::string& raw);

/// Polls `predicate` until it is true or `timeout` passes.
template <class F>
bool eventually(F&& predicate, std::chrono::milliseconds timeout) {
  return oee::testing::eventually_true(std::forward<F>(predicate), timeout);
}

/// The value of one un-labelled Prometheus sample in a /metrics text, or -1.
double metric_value(const std::string& metrics_text, const std::string& name);
/// Whether the server's executor comes to have nothing in flight and
/// nothing waiting (its /health) within `timeout`.
bool executor_idle(HttpClient& client, std::chrono::seconds timeout);

/// What breaks the Prometheus text format in a /metrics text, one problem
/// per line; empty when it is well formed: every sample belongs to the
/// family of the last TYPE line (a histogram's _bucket/_sum/_count too),
/// each family is one group with one TYPE line, and every value is a number.
std::string prometheus_format_errors(const std::string& metrics_text);

/// A fresh admin key: 64 random hex digits.
std::string random_admin_key();

/// A submit body for `amount` of SOL -> USDC.
std::string order_body(const std::string& amount = "1", const std::string& slippage = "0.05");
/// Every process's command line (what `ps` shows any local user), its
/// arguments joined by spaces.
std::vector<std::string> command_lines();

/// Submits `count` orders with `body` and returns their ids in order.
/// Throws, saying what the server answered, if one is not accepted (202).
std::vector<std::string> submit_orders(HttpClient& client, int count, const std::string& body = order_body());

/// Where a status message stands in its order's stream, as a client sees
/// it: its seq, then its event's place among one record's messages (a
/// routedAndSent shows as routingStarted, routed, txSubmitted, all with
/// its seq; docs/streaming.md). Messages come in this order, each once.
struct StreamAt {
  std::uint64_t seq = 0;
  int rank = 0;
  friend auto operator<=>(const StreamAt&, const StreamAt&) = default;
};
StreamAt stream_at(const boost::json::value& message);

}  // namespace oee::e2e
