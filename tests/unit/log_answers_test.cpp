// What a client is told when the log fails it: a write's 503 says whether
// anything was stored and how to send it again; a read's says only to ask
// again, for nothing was asked to be stored.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <boost/json.hpp>

#include "api/http/responses.h"
#include "eventlog/errors.h"
#include "eventlog/jetstream/errors.h"

namespace oee::api {
namespace {

std::string code_of(const HttpResponse& r) {
  return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

std::string message_of(const HttpResponse& r) {
  return std::string(boost::json::parse(r.body).at("error").at("message").as_string());
}

bool says_retry_after(const HttpResponse& r) {
  return std::any_of(r.headers.begin(), r.headers.end(),
                     [](const auto& h) { return h.first == "Retry-After" && h.second == "1"; });
}

// The answers are chosen by what the caller can do, whichever log failed:
// the cluster's own codes read as the same failures as the log's.
TEST(LogAnswers, EachLogsCodesReadAsTheFailureTheyAre) {
  using eventlog::Failure;
  using eventlog::jetstream::JsErrc;
  EXPECT_TRUE(std::make_error_code(std::errc::timed_out) == Failure::outcome_unknown);
  EXPECT_TRUE(make_error_code(JsErrc::timeout) == Failure::outcome_unknown);
  EXPECT_TRUE(make_error_code(eventlog::Errc::no_owner) == Failure::no_owner);
  EXPECT_TRUE(make_error_code(eventlog::Errc::unavailable) == Failure::unavailable);
  EXPECT_TRUE(make_error_code(JsErrc::not_connected) == Failure::unavailable);
  EXPECT_TRUE(make_error_code(JsErrc::fenced) == Failure::fenced);
  for (const auto f : {Failure::outcome_unknown, Failure::no_owner, Failure::unavailable, Failure::fenced}) {
    EXPECT_FALSE(make_error_code(eventlog::Errc::closed) == f);
    EXPECT_FALSE(make_error_code(JsErrc::conflict) == f);
  }
  // A cluster's lost answer is told as a write that may have landed.
  const auto write = log_unavailable(make_error_code(JsErrc::timeout));
  EXPECT_EQ(code_of(write), "append_timeout");
  EXPECT_TRUE(says_retry_after(write));
}

TEST(LogAnswers, AReadBetweenOwnersIsToldToAskAgainNotThatNothingWasStored) {
  const auto read = log_unreadable(make_error_code(eventlog::Errc::no_owner));
  EXPECT_EQ(read.status, 503);
  EXPECT_EQ(code_of(read), "no_owner");
  EXPECT_NE(message_of(read).find("ask again"), std::string::npos) << read.body;
  EXPECT_EQ(message_of(read).find("stored"), std::string::npos) << read.body;
  EXPECT_TRUE(says_retry_after(read));

  // The write's answer to the same cause says what became of the write.
  const auto write = log_unavailable(make_error_code(eventlog::Errc::no_owner));
  EXPECT_EQ(code_of(write), "no_owner");
  EXPECT_NE(message_of(write).find("nothing was stored"), std::string::npos) << write.body;
}

TEST(LogAnswers, AReadTheLogDidNotAnswerInTimeNamesNoIdempotencyKey) {
  for (const auto ec : {std::make_error_code(std::errc::timed_out), make_error_code(eventlog::Errc::unavailable)}) {
    const auto read = log_unreadable(ec);
    EXPECT_EQ(read.status, 503);
    EXPECT_EQ(code_of(read), "log_unavailable");
    EXPECT_NE(message_of(read).find("ask again"), std::string::npos) << read.body;
    EXPECT_EQ(message_of(read).find("Idempotency-Key"), std::string::npos) << read.body;
    EXPECT_EQ(message_of(read).find("writes"), std::string::npos) << read.body;
    EXPECT_TRUE(says_retry_after(read));
  }
}

TEST(LogAnswers, AReadOfDamagedStorageNamesTheCauseAndPromisesNoRetry) {
  const auto read = log_unreadable(make_error_code(eventlog::Errc::corrupted));
  EXPECT_EQ(read.status, 503);
  EXPECT_EQ(code_of(read), "log_unavailable");
  EXPECT_NE(message_of(read).find("checksum"), std::string::npos) << read.body;
  EXPECT_FALSE(says_retry_after(read));
}

}  // namespace
}  // namespace oee::api
