#include "api/http/strict_json.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include <boost/container/small_vector.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace oee::api {

namespace json = boost::json;

namespace {

// A SAX pass that builds nothing: it only remembers each open object's keys.
// An order's few keys are held inline and compared one by one, allocating
// nothing; an object with many keys moves to a set, so a hostile body with
// thousands of keys costs a lookup per key, not a scan.
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
    open_.push_back(Open{keys_.size(), nullptr});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    keys_.resize(open_.back().first_key);
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
    if (!note_key()) {
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
  static constexpr std::size_t kScannedKeys = 16;  // past this many, an object's keys go to a set

  struct Open {
    std::size_t first_key;                                 // its keys in keys_, while it has few
    std::unique_ptr<std::set<std::string, std::less<>>> many;  // once it has many
  };

  // False if the open object has key_ already.
  bool note_key() {
    Open& object = open_.back();
    if (object.many) return object.many->insert(key_).second;
    const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(object.first_key);
    if (std::find(first, keys_.end(), key_) != keys_.end()) return false;
    if (keys_.size() - object.first_key < kScannedKeys) {
      keys_.push_back(key_);
      return true;
    }
    object.many = std::make_unique<std::set<std::string, std::less<>>>(std::make_move_iterator(first),
                                                                       std::make_move_iterator(keys_.end()));
    keys_.resize(object.first_key);
    return object.many->insert(key_).second;
  }

  // The open objects, outermost first. Only the innermost adds keys, so
  // the keys of those with few sit at the end of keys_, in nesting order.
  boost::container::small_vector<Open, 4> open_;
  boost::container::small_vector<std::string, kScannedKeys> keys_;
  std::string key_;
};

}  // namespace

boost::system::result<json::value, ApiError> parse_json_strict(std::string_view text, json::storage_ptr storage) {
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
  return json::parse(json::string_view(text.data(), text.size()), std::move(storage));
}

}  // namespace oee::api
