// The route handlers' answers are written as their bytes, not through
// Beast's serializer: they must be byte for byte what Beast writes for the
// same message, whatever the answer's headers, the request's version and
// keep-alive, HEAD, an allowed origin and TLS.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <boost/beast/http/write.hpp>

#include "api/http/response_wire.h"

namespace oee::api {
namespace {

std::string beast_bytes(const HttpResponse& r, const ResponseFraming& framing) {
  std::ostringstream out;
  out << beast_response(r, framing);
  return out.str();
}

TEST(ResponseWire, IsWhatBeastWritesForTheSameAnswer) {
  std::vector<HttpResponse> answers;
  answers.push_back(HttpResponse{202, R"({"orderId":"x","status":"pending","seq":7})", "application/json", "", {}});
  answers.push_back(HttpResponse{200, "", "text/plain; charset=utf-8", "", {}});
  answers.push_back(HttpResponse{405, R"({"error":{}})", "application/json", "GET, POST", {}});
  answers.push_back(HttpResponse{429, "{}", "application/json", "", {{"Retry-After", "2"}, {"Vary", "Authorization"}}});
  answers.push_back(HttpResponse{401, "{}", "application/json", "", {{"WWW-Authenticate", "Bearer"}}});
  // A header an answer sets twice, or one the server sets itself: the last wins, at its place.
  answers.push_back(HttpResponse{503, "{}", "application/json", "", {{"retry-after", "1"}, {"Retry-After", "5"}}});
  answers.push_back(HttpResponse{200, "<html></html>", "text/html", "", {{"content-type", "text/html; charset=utf-8"},
                                                                          {"Cache-Control", "no-store"}}});
  answers.push_back(HttpResponse{204, "", "application/json", "", {}});
  answers.push_back(HttpResponse{599, "{}", "application/json", "", {}});  // a status with no reason phrase
  int compared = 0;
  for (const auto& r : answers) {
    for (unsigned version : {10U, 11U}) {
      for (bool keep_alive : {true, false}) {
        for (bool head : {false, true}) {
          for (std::string_view origin : {std::string_view(), std::string_view("http://localhost:5173")}) {
            for (bool tls : {false, true}) {
              const ResponseFraming framing{version, keep_alive, head, origin, tls};
              EXPECT_EQ(wire_response(r, framing), beast_bytes(r, framing))
                  << r.status << " HTTP/" << version << " keep-alive " << keep_alive << " head " << head << " origin "
                  << origin << " tls " << tls;
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 9 * 32);
}

}  // namespace
}  // namespace oee::api
