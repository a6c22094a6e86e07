// The stream's reference (docs/streaming.md) names every event type the log
// can hold and every status an order can show: a type added to schemas/
// without a line in the docs fails here, so the two cannot drift apart.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/domain/api_key.h"
#include "core/domain/order.h"

namespace oee::core {
namespace {

std::string read_source(const std::string& path) {
  std::ifstream in(std::string(OEE_SOURCE_DIR) + "/" + path);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DocsNames, TheStreamDocsNameEveryEventTypeOfTheSchemaAndEveryStatus) {
  const std::string schema = read_source("schemas/order_events.fbs");
  const std::string docs = read_source("docs/streaming.md");
  const auto enum_at = schema.find("enum EventType");
  ASSERT_NE(enum_at, std::string::npos);
  const std::string body = schema.substr(enum_at, schema.find('}', enum_at) - enum_at);
  // Lines "  Name = 12," (comments after // ignored).
  int order_types = 0;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find("//"));
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::istringstream name_part(line.substr(0, eq));
    std::string schema_name;
    name_part >> schema_name;
    const int value = std::stoi(line.substr(eq + 1));
    if (value == 0) continue;  // None
    const auto type = static_cast<std::uint8_t>(value);
    if (is_key_event(type)) continue;  // a key's, not an order's: docs/security.md
    ASSERT_TRUE(is_order_event_type(type)) << schema_name << " = " << value << " is neither an order's nor a key's";
    ++order_types;
    const std::string streamed(event_name(static_cast<EventType>(type)));
    EXPECT_NE(docs.find("`" + streamed + "`"), std::string::npos)
        << schema_name << " (streamed as " << streamed << ") is not in docs/streaming.md";
  }
  EXPECT_EQ(order_types, static_cast<int>(std::size(kOrderEventTypes))) << "the schema and the code disagree";
  for (int s = 1; s < kStatusCount; ++s) {
    const std::string status(status_name(static_cast<Status>(s)));
    EXPECT_NE(docs.find("`" + status + "`"), std::string::npos) << "status " << status << " is not in docs/streaming.md";
  }
}

}  // namespace
}  // namespace oee::core
