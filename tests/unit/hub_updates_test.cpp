// One record, several messages: a routedAndSent reaches subscribers as the
// statuses it stands for, each with the record's seq and its own rank, and
// only its last ends the record; a gateway reads the same from the text.
// A stream of every order that starts mid-record starts after the last
// whole record, so the rest of the one in progress still reaches it.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "api/stream/hub.h"
#include "core/wire/event_codec.h"

namespace oee::api {
namespace {

eventlog::Record record_of(const core::OrderEvent& e, const OrderId& order, std::uint64_t seq) {
  return eventlog::Record{Seq{seq}, order, TimestampNs{1'795'000'000'000'000'000},
                          static_cast<std::uint8_t>(core::type_of(e)), core::encode_event(e)};
}

core::RoutedAndSent routed_and_sent(bool starts_attempt) {
  const core::Routed routed{1, core::token_id("SOL"), core::token_id("USDC"), core::Amount{1'000'000'000}, {},
                            core::Venue::meteora, core::Amount{150'000'000}, core::Amount{148'500'000}};
  return core::RoutedAndSent{starts_attempt, routed,
                             core::TxSubmitted{1, core::Venue::meteora, "sig", core::Amount{148'500'000}}};
}

TEST(HubUpdates, ARoutedAndSentIsItsStepsWithItsSeqAndOnlyTheLastEndsIt) {
  const auto order = OrderId::random();
  const auto updates = make_status_updates(record_of(routed_and_sent(true), order, 7));
  ASSERT_EQ(updates.size(), 3u);
  const char* events[] = {"\"event\":\"routingStarted\"", "\"event\":\"routed\"", "\"event\":\"txSubmitted\""};
  for (std::size_t i = 0; i < updates.size(); ++i) {
    EXPECT_EQ(updates[i]->seq, Seq{7});
    EXPECT_EQ(updates[i]->rank, i);
    EXPECT_EQ(updates[i]->ends_record, i == 2);
    EXPECT_FALSE(updates[i]->terminal);
    EXPECT_NE(updates[i]->text.find(events[i]), std::string::npos) << updates[i]->text;
    // A gateway reads the same place from the text alone.
    const auto parsed = parse_status_update(updates[i]->text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->at(), updates[i]->at());
    EXPECT_EQ(parsed->ends_record, i == 2);
  }
  EXPECT_LT(updates[0]->at(), updates[1]->at());
  EXPECT_LT(updates[1]->at(), updates[2]->at());
  EXPECT_LT(updates[2]->at(), updates[2]->kept_at());

  // After a trigger the attempt is under way: building and submitted only.
  const auto fired = make_status_updates(record_of(routed_and_sent(false), order, 9));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0]->rank, 1);
  EXPECT_EQ(fired[1]->rank, 2);
  EXPECT_TRUE(fired[1]->ends_record);

  // A record of one message ends itself.
  const auto confirmed = make_status_updates(record_of(
      core::Confirmed{1, core::Venue::meteora, "sig", core::Amount{149'000'000}, core::token_id("SOL"),
                      core::token_id("USDC"), core::Amount{1'000'000'000}},
      order, 10));
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_TRUE(confirmed[0]->ends_record);
  EXPECT_TRUE(confirmed[0]->terminal);
}

TEST(HubUpdates, WhatIsPublishedIsTheLastWholeRecord) {
  boost::asio::io_context ioc;
  Hub hub(ioc.get_executor());
  const auto order = OrderId::random();
  const auto updates = make_status_updates(record_of(routed_and_sent(true), order, 12));
  hub.fan_out(updates[0]);
  hub.fan_out(updates[1]);
  EXPECT_EQ(hub.published().at(PartitionId{0}), Seq{0}) << "a stream starting now must still get the rest of seq 12";
  hub.fan_out(updates[2]);
  EXPECT_EQ(hub.published().at(PartitionId{0}), Seq{12});
}

}  // namespace
}  // namespace oee::api
