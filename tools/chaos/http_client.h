#pragma once
// A small blocking HTTP/1.1 client for the chaos run: one keep-alive
// connection at a time, every step bounded by a timeout, and no answer
// (a refused connection, a reset, a timeout) reported as status 0 rather
// than thrown, because during faults that is an ordinary outcome.
//
// Lifecycle: reconnects by itself; a request to another port than the
// last one's opens a new connection.
// Threading: not thread-safe; one per thread.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace oee::chaos {

struct HttpResponse {
  int status = 0;      // 0: no answer
  std::string body;
  std::string error;   // why there was no answer

  /// The body as JSON; nothing if it is not JSON.
  [[nodiscard]] std::optional<boost::json::value> json() const;
  /// error.code of an error answer ("too_late", "log_unavailable", …); empty if none.
  [[nodiscard]] std::string error_code() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Port 0 (a node that is down) is answered with status 0 at once.
  HttpResponse request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const std::map<std::string, std::string>& headers = {});
  HttpResponse get(unsigned short port, const std::string& target) { return request(port, "GET", target); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::chaos
