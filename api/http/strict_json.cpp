#include "api/http/strict_json.h"

#include <set>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace oee::api {

namespace json = boost::json;

namespace {

// A SAX pass that builds nothing: it only remembers each open object's keys.
class DuplicateKeyCheck {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool found_duplicate = false;
  std::string duplicate;  // the key given twice

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!open_.back().insert(key_).second) {
      found_duplicate = true;
      duplicate = std::move(key_);
      ec = json::error::syntax;  // any error stops the parser; `duplicate` says which
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::vector<std::set<std::string, std::less<>>> open_;
  std::string key_;
};

}  // namespace

boost::system::result<json::value, ApiError> parse_json_strict(std::string_view text) {
  json::basic_parser<DuplicateKeyCheck> check{json::parse_options{}};
  json::error_code ec;
  const std::size_t read = check.write_some(false, text.data(), text.size(), ec);
  if (check.handler().found_duplicate) {
    const std::string& key = check.handler().duplicate;
    return ApiError{400, "duplicate_field", fmt::format("'{}' is given more than once", key), key};
  }
  if (!ec && read < text.size()) ec = json::error::extra_data;  // as json::parse says it
  if (ec) return ApiError{400, "invalid_json", "not valid JSON: " + ec.message(), ""};
  // Valid and without a doubled key: now build the value.
  return json::parse(json::string_view(text.data(), text.size()));
}

}  // namespace oee::api
