#pragma once
// The log's completions run on its writer thread; tests get them back
// through futures, with a deadline so a lost completion fails instead of
// hanging.

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "eventlog/event_log.h"

namespace oee::testing {

inline constexpr std::chrono::seconds kCompletionDeadline{30};

template <class T>
T await_result(std::future<T>& f) {
  if (f.wait_for(kCompletionDeadline) != std::future_status::ready) throw std::runtime_error("completion timed out");
  return f.get();
}

inline std::future<eventlog::Result<eventlog::AppendOutcome>> append_future(eventlog::EventLogWriter& log,
                                                                            eventlog::AppendCommand c) {
  auto p = std::make_shared<std::promise<eventlog::Result<eventlog::AppendOutcome>>>();
  auto f = p->get_future();
  log.append(std::move(c), [p](eventlog::Result<eventlog::AppendOutcome> r) { p->set_value(std::move(r)); });
  return f;
}

inline eventlog::Result<eventlog::AppendOutcome> append_wait(eventlog::EventLogWriter& log, eventlog::AppendCommand c) {
  auto f = append_future(log, std::move(c));
  return await_result(f);
}

inline std::future<std::error_code> cursor_future(eventlog::LogPartitionWriter& log, std::string name, Seq seq) {
  auto p = std::make_shared<std::promise<std::error_code>>();
  auto f = p->get_future();
  log.store_cursor(std::move(name), seq, [p](std::error_code ec) { p->set_value(ec); });
  return f;
}

}  // namespace oee::testing
