// Bytes off a connection, read as the server reads them: Beast's parser
// with oee's limits, fed through a buffer bounded the same way, then the
// refusals before routing. Several requests may follow one another.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>

#include "api/http/http_framing.h"

namespace http = boost::beast::http;

namespace {
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::beast::flat_buffer buffer(oee::api::read_buffer_limit(kHeaderLimit));
  for (int request = 0; request < 8; ++request) {
    oee::api::RequestParser reader(kHeaderLimit, kBodyLimit);
    auto& parser = reader.parser();
    parser.eager(true);
    boost::beast::error_code ec;
    bool checked_header = false;
    while (!parser.is_done()) {
      if (buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          (void)oee::api::read_error(ec, kHeaderLimit, kBodyLimit);
          return 0;
        } else if (used > 0) {
          continue;
        }
      }
      if (parser.is_header_done() && !checked_header) {
        checked_header = true;
        if (oee::api::header_refusal(parser.get())) return 0;  // refused and closed
      }
      if (parser.is_done()) break;
      // What a read would add: as much as the bounded buffer takes.
      const std::size_t room = buffer.max_size() - buffer.size();
      if (room == 0) return 0;  // overflow: 431
      if (input.empty()) return 0;  // the peer went quiet
      const std::size_t n = std::min(room, input.size());
      auto dest = buffer.prepare(n);
      std::memcpy(dest.data(), input.data(), n);
      buffer.commit(n);
      input.remove_prefix(n);
    }
    if (!checked_header && oee::api::header_refusal(parser.get())) return 0;
    if (oee::api::trailer_refusal(parser.get(), kHeaderLimit)) return 0;
  }
  return 0;
}
