#include "api/routes/pages/pages.h"

#include <algorithm>

namespace oee::api {

const Page* find_page(std::string_view name) {
  const auto all = pages();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Page& p) { return p.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace oee::api
