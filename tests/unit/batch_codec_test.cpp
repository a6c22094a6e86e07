// A record batch as a cluster partition's stream stores it: what goes in
// comes out, each record at its position, and anything else is refused.

#include <gtest/gtest.h>

#include <string>

#include <flatbuffers/flatbuffers.h>

#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/record_codec.h"
#include "schemas/cluster_batch_generated.h"

namespace oee::eventlog::jetstream {
namespace {

BatchEntry entry(std::uint8_t type, std::string payload) {
  BatchEntry e;
  e.record.order = OrderId::random();
  e.record.ts = TimestampNs{1'700'000'000'123'456'789};
  e.record.type = type;
  e.record.payload = std::move(payload);
  return e;
}

Batch three_records() {
  Batch b;
  b.first = Seq{41};
  b.writer = "node-a/0f1e";
  b.entries.push_back(entry(1, std::string("\0\x01\xff payload", 11)));
  b.entries.back().begins = true;
  b.entries.back().fingerprint = "fp-123";
  b.entries.back().request = "node-b/77/first";
  b.entries.push_back(entry(7, ""));
  b.entries.back().sets = "1+,2-";
  b.entries.push_back(entry(200, std::string(70'000, 'x')));
  return b;
}

TEST(BatchCodec, WhatGoesInComesOutEachRecordAtItsPosition) {
  const auto in = three_records();
  auto out = decode_batch(encode_batch(in), PartitionId{5});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->first, Seq{41});
  EXPECT_EQ(out->last(), Seq{43});
  EXPECT_EQ(out->writer, "node-a/0f1e");
  ASSERT_EQ(out->entries.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& a = in.entries[i];
    const auto& b = out->entries[i];
    EXPECT_EQ(b.record.seq, Seq{41 + i});
    EXPECT_EQ(b.record.partition, PartitionId{5});
    EXPECT_EQ(b.record.order, a.record.order);
    EXPECT_EQ(b.record.ts, a.record.ts);
    EXPECT_EQ(b.record.type, a.record.type);
    EXPECT_EQ(b.record.payload, a.record.payload);
    EXPECT_EQ(b.begins, a.begins);
    EXPECT_EQ(b.sets, a.sets);
    EXPECT_EQ(b.fingerprint, a.fingerprint);
    EXPECT_EQ(b.request, a.request);
  }
}

TEST(BatchCodec, AMessageReadAtAnOddAddressDecodesTheSame) {
  const auto message = encode_batch(three_records());
  const std::string shifted = "x" + message;
  auto out = decode_batch(std::string_view(shifted).substr(1), PartitionId{0});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->entries.size(), 3u);
}

TEST(BatchCodec, EveryFlippedByteAndEveryCutIsRefused) {
  const auto message = encode_batch(three_records());
  for (std::size_t i = 0; i < message.size(); i += 97) {
    auto bad = message;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_EQ(decode_batch(bad, PartitionId{0}).error(), Errc::corrupted) << "byte " << i;
  }
  for (const std::size_t keep : {std::size_t{0}, std::size_t{3}, std::size_t{4}, message.size() / 2, message.size() - 1})
    EXPECT_EQ(decode_batch(message.substr(0, keep), PartitionId{0}).error(), Errc::corrupted) << "cut to " << keep;
}

// Checksummed, so it passed the CRC: what the flatbuffer says is checked as well.
std::string checksummed(flatbuffers::FlatBufferBuilder& fbb) {
  std::string out(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  append_crc32c(out);
  return out;
}

TEST(BatchCodec, AWellFormedBatchThatMakesNoSenseIsRefused) {
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto entries = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::BatchEntry>>{});
    fbb.Finish(fb::CreateBatch(fbb, 0, fbb.CreateString("w"), entries));
    EXPECT_EQ(decode_batch(checksummed(fbb), PartitionId{0}).error(), Errc::corrupted) << "position 0";
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(fb::CreateBatch(fbb, 1, fbb.CreateString("w")));
    EXPECT_EQ(decode_batch(checksummed(fbb), PartitionId{0}).error(), Errc::corrupted) << "no entries";
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto no_event = fb::CreateBatchEntry(fbb);
    const auto entries = fbb.CreateVector(std::vector{no_event});
    fbb.Finish(fb::CreateBatch(fbb, 1, fbb.CreateString("w"), entries));
    EXPECT_EQ(decode_batch(checksummed(fbb), PartitionId{0}).error(), Errc::corrupted) << "an entry without its event";
  }
  {
    std::string record_not_batch = encode_record(three_records().entries[0].record);
    EXPECT_EQ(decode_batch(record_not_batch, PartitionId{0}).error(), Errc::corrupted) << "a one-event message of the old format";
  }
}

}  // namespace
}  // namespace oee::eventlog::jetstream
