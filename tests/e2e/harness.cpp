#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "scratch_log.h"

namespace oee::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kStartDeadline{90};

ServerProcess::ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args,
                             std::vector<std::string> launcher)
    : data_dir_(std::move(data_dir)), args_(std::move(extra_args)), launcher_(std::move(launcher)) {}

ServerProcess::~ServerProcess() {
  if (child_) child_->signal(SIGKILL);
  stop_draining();
}

void ServerProcess::stop_draining() {
  if (drain_.joinable()) drain_.join();
}

std::string ServerProcess::stdout_tail() const {
  std::lock_guard lock(out_mu_);
  return out_tail_;
}

void ServerProcess::start(unsigned short port) {
  if (child_) child_->signal(SIGKILL);  // a restart without a stop replaces the process
  stop_draining();
  std::vector<std::string> argv = launcher_;
  argv.insert(argv.end(), {OEE_SERVER_BIN, "--data-dir", data_dir_.string(), "--port", std::to_string(port)});
  if (std::find(args_.begin(), args_.end(), "--log-level") == args_.end()) argv.insert(argv.end(), {"--log-level", "warn"});
  argv.insert(argv.end(), args_.begin(), args_.end());
  {
    std::lock_guard lock(out_mu_);
    out_tail_.clear();
  }
  child_ = std::make_unique<ChildProcess>(std::move(argv));
  // The server prints "LISTENING host:port" once it accepts connections. A
  // cluster node first reads the keys and the market from the NATS servers,
  // which answer slowly while a sanitized suite loads both cores.
  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  while (auto line = child_->read_line(
             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()))) {
    if (line->rfind("LISTENING ", 0) != 0) {
      std::lock_guard lock(out_mu_);
      out_tail_ += *line + "\n";  // what it said while starting (warnings) counts too
      continue;
    }
    port_ = static_cast<unsigned short>(std::stoi(line->substr(line->rfind(':') + 1)));
    drain_ = std::thread([this, child = child_.get()] {
      while (child->stdout_open()) {
        if (auto out = child->read_line(std::chrono::milliseconds(100))) {
          std::lock_guard lock(out_mu_);
          out_tail_ += *out + "\n";
          if (out_tail_.size() > 64 * 1024) out_tail_.erase(0, out_tail_.size() - 32 * 1024);
        }
      }
    });
    return;
  }
  std::lock_guard lock(out_mu_);
  throw std::runtime_error("oee-server did not start within " + std::to_string(kStartDeadline.count()) + " s: " + stderr_tail() + out_tail_);
}

void ServerProcess::kill9() {
  if (!running()) return;
  child_->signal(SIGKILL);
  child_->wait();
  stop_draining();
}

int ServerProcess::terminate(std::chrono::seconds timeout) {
  if (!running()) return -1;
  child_->signal(SIGTERM);
  const int status = child_->wait(timeout);
  stop_draining();
  return status;
}

std::string ServerProcess::stderr_tail() const {
  if (!child_) return {};
  const std::string s = child_->stderr_text();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

ChildProcess::ChildProcess(std::vector<std::string> argv_s, std::string tmpdir) {
  // A NATS URL holding a password goes in the environment, as an operator
  // gives it (docs/security.md): no command line the suite starts shows one.
  std::string nats_url;
  for (auto it = argv_s.begin(); it != argv_s.end() && std::next(it) != argv_s.end(); ++it) {
    if (*it == "--nats" && std::next(it)->find('@') != std::string::npos) {
      nats_url = *std::next(it);
      argv_s.erase(it, it + 2);
      break;
    }
  }
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  stderr_path_ = oee::testing::unique_temp_path("e2e-child").string() + ".stderr";
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    ::close(out[0]);
    if (!tmpdir.empty()) ::setenv("TMPDIR", tmpdir.c_str(), 1);
    if (!nats_url.empty()) ::setenv("OEE_NATS_URL", nats_url.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  out_ = out[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_ >= 0) ::close(out_);
  std::error_code ec;
  std::filesystem::remove(stderr_path_, ec);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto eol = buffer_.find('\n'); eol != std::string::npos) {
      std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_ < 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      if (buffer_.empty()) return std::nullopt;
      std::string rest = std::move(buffer_);
      buffer_.clear();
      return rest;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::wait(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string ChildProcess::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult run(std::vector<std::string> argv, std::chrono::seconds timeout) {
  ChildProcess child(std::move(argv));
  RunResult r;
  while (auto line = child.read_line(timeout)) r.out += *line + "\n";
  r.exit_code = child.wait(timeout);
  r.err = child.stderr_text();
  return r;
}

boost::json::value HttpResponse::json() const { return boost::json::parse(body); }

struct HttpClient::Impl {
  explicit Impl(unsigned short p) : port(p) {}
  void connect() {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    connected = true;
  }
  unsigned short port;
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

HttpClient::HttpClient(unsigned short port) : impl_(std::make_unique<Impl>(port)) {}
HttpClient::~HttpClient() = default;

namespace {

// With OEE_RECORD_RESPONSES set to a directory, the first few answers of each
// kind (method, path with ids left out, status) each test process gets are
// written there, one JSON line each, for tests/browser/openapi_check.mjs to
// check against the API description.
void record_response(const std::string& method, const std::string& target, const HttpResponse& response) {
  static const char* dir = std::getenv("OEE_RECORD_RESPONSES");
  if (dir == nullptr || *dir == '\0') return;
  static std::mutex mu;
  static std::map<std::string, int> seen;
  static std::ofstream out(std::string(dir) + "/" + std::to_string(::getpid()) + ".jsonl", std::ios::app);
  std::string kind = method + " ";
  const std::string path = target.substr(0, target.find('?'));
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string segment = path.substr(start, end - start);
    kind.push_back('/');
    kind.append(OrderId::parse(segment) ? std::string_view("{id}") : std::string_view(segment));
    start = end + 1;
  }
  kind.push_back(' ');
  kind.append(std::to_string(response.status));
  std::lock_guard lock(mu);
  if (++seen[kind] > 10) return;
  const auto type = response.headers.find("Content-Type");
  boost::json::object line{{"method", method},
                           {"target", target},
                           {"status", response.status},
                           {"contentType", type == response.headers.end() ? "" : type->second},
                           {"body", response.body}};
  out << boost::json::serialize(line) << '\n' << std::flush;
}

}  // namespace

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!impl_->connected) impl_->connect();
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1");
      for (const auto& [k, v] : headers) req.set(k, v);
      req.body() = body;
      req.prepare_payload();
      req.keep_alive(true);
      http::write(*impl_->stream, req);
      http::response<http::string_body> res;
      http::read(*impl_->stream, impl_->buffer, res);
      HttpResponse out;
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
      for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
      if (!res.keep_alive()) impl_->connected = false;
      record_response(method, target, out);
      return out;
    } catch (const boost::system::system_error&) {
      // A keep-alive connection the server closed: reconnect once.
      impl_->connected = false;
      impl_->buffer.clear();
      if (attempt == 1) throw;
    }
  }
  return {};
}

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::string subprotocol;
};

WsClient::WsClient(unsigned short port, const std::string& target, int receive_buffer, Dialect dialect,
                   const std::string& authorization)
    : impl_(std::make_unique<Impl>()) {
  auto& socket = beast::get_lowest_layer(impl_->ws).socket();
  socket.open(tcp::v4());
  if (receive_buffer > 0) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->ws.set_option(websocket::stream_base::decorator([dialect, authorization](websocket::request_type& req) {
    if (dialect == Dialect::v1) req.set(http::field::sec_websocket_protocol, "oee.v1");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
  }));
  websocket::response_type res;
  impl_->ws.handshake(res, "127.0.0.1", target);
  impl_->subprotocol = std::string(res[http::field::sec_websocket_protocol]);
}

const std::string& WsClient::subprotocol() const { return impl_->subprotocol; }

WsClient::~WsClient() {
  boost::system::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

void WsClient::send(const std::string& text) {
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text));
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  beast::flat_buffer buffer;
  boost::system::error_code result = asio::error::would_block;
  beast::get_lowest_layer(impl_->ws).expires_after(timeout);
  impl_->ws.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (result) return std::nullopt;
  return beast::buffers_to_string(buffer.data());
}

int WsClient::close_code() const { return static_cast<int>(impl_->ws.reason().code); }
std::string WsClient::close_reason() const { return std::string(impl_->ws.reason().reason.c_str()); }

RawConnection::RawConnection(unsigned short port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed");
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::read_until(const std::string& text, std::chrono::milliseconds timeout) {
  return read_while([&] { return received_.find(text) == std::string::npos; }, timeout);
}

bool RawConnection::read_until_closed(std::chrono::milliseconds timeout) {
  read_while([] { return true; }, timeout);
  return closed_;
}

bool RawConnection::read_while(const std::function<bool()>& wanting, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (wanting()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (closed_ || left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      continue;
    }
    received_.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

std::vector<int> response_statuses(const std::string& raw) {
  std::vector<int> statuses;
  std::size_t at = 0;
  while (raw.compare(at, 7, "HTTP/1.") == 0 && at + 12 <= raw.size()) {
    statuses.push_back(std::stoi(raw.substr(at + 9, 3)));
    const auto header_end = raw.find("\r\n\r\n", at);
    if (header_end == std::string::npos) break;
    std::size_t length = 0;
    const std::string header = raw.substr(at, header_end - at);
    for (const std::string name : {"Content-Length: ", "content-length: "}) {
      if (const auto cl = header.find(name); cl != std::string::npos) length = std::stoul(header.substr(cl + name.size()));
    }
    at = header_end + 4 + length;
  }
  return statuses;
}

double metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

std::string prometheus_format_errors(const std::string& text) {
  std::istringstream in(text);
  std::string line, family, type, errors;
  std::set<std::string> finished;
  auto belongs = [&](const std::string& name) {
    if (name == family) return true;
    if (type != "histogram") return false;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name == family + suffix) return true;
    }
    return false;
  };
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      std::string name;
      fields >> name >> type;
      if (!family.empty()) finished.insert(family);
      if (finished.contains(name)) errors += "family " + name + " appears twice: " + line + "\n";
      family = name;
      continue;
    }
    if (line.empty()) continue;
    const auto name_end = line.find_first_of("{ ");
    const std::string name = line.substr(0, name_end);
    if (family.empty() || !belongs(name)) errors += "sample outside its family (" + family + "): " + line + "\n";
    const auto value = line.substr(line.find_last_of(' ') + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') errors += "not a number: " + line + "\n";
  }
  return errors;
}

std::string order_body(const std::string& amount, const std::string& slippage) {
  return R"({"inputToken":"SOL","outputToken":"USDC","amount":")" + amount + R"(","slippage":)" + slippage + "}";
}

std::vector<std::string> submit_orders(HttpClient& client, int count, const std::string& body) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.post_json("/api/orders/execute", body);
    if (res.status != 202) {
      throw std::runtime_error("submit " + std::to_string(i + 1) + " of " + std::to_string(count) + " answered " +
                               std::to_string(res.status) + ": " + res.body);
    }
    ids.emplace_back(res.json().at("orderId").as_string());
  }
  return ids;
}

bool executor_idle(HttpClient& client, std::chrono::seconds timeout) {
  return eventually(
      [&] {
        const auto e = client.get("/health").json().at("executor");
        return e.at("inFlight").to_number<std::int64_t>() == 0 && e.at("waiting").to_number<std::int64_t>() == 0;
      },
      timeout);
}

std::string random_admin_key() {
  std::random_device rd;
  std::string key;
  for (int i = 0; i < 64; ++i) key.push_back("0123456789abcdef"[rd() % 16]);
  return key;
}

StreamAt stream_at(const boost::json::value& message) {
  const auto& m = message.as_object();
  const auto& event = m.at("event").as_string();
  return StreamAt{m.at("seq").to_number<std::uint64_t>(), event == "routed" ? 1 : event == "txSubmitted" ? 2 : 0};
}

std::vector<std::string> command_lines() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(line.begin(), line.end(), '\0', ' ');
    if (!line.empty()) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace oee::e2e
