#include "eventlog/jetstream/chain_blocks.h"

#include <limits>

#include "eventlog/jetstream/detail/big_endian.h"
#include "eventlog/errors.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream {

namespace {

using detail::get_be;
using detail::get_text;
using detail::put_be;

constexpr std::string_view kBlockMagic = "oeeB1";
constexpr std::size_t kReadChunk = 4096;

}  // namespace

std::string encode_block(const ChainBlock& block) {
  std::string out(kBlockMagic);
  put_be(out, block.slot, 8);
  put_be(out, static_cast<std::uint64_t>(block.opened_at.value), 8);
  put_be(out, block.oldest_live.value, 8);
  put_be(out, block.writer.size(), 1);
  out.append(block.writer, 0, 255);
  put_be(out, block.entries.size(), 4);
  for (const auto& e : block.entries) {
    put_be(out, e.signature.size(), 1);
    out.append(e.signature, 0, 255);
    put_be(out, static_cast<std::uint64_t>(e.valid_until.value), 8);
    put_be(out, e.outcome.size(), 2);
    out.append(e.outcome, 0, 0xFFFF);
  }
  append_crc32c(out);
  return out;
}

Result<ChainBlock> decode_block(std::string_view data) {
  const auto body = checked_body(data);
  if (!body || !body->starts_with(kBlockMagic)) return make_error_code(Errc::corrupted);
  std::string_view in = body->substr(kBlockMagic.size());
  ChainBlock block;
  const auto slot = get_be(in, 8);
  const auto opened_at = get_be(in, 8);
  const auto oldest_live = get_be(in, 8);
  auto writer = get_text(in, 1);
  const auto n = get_be(in, 4);
  if (!slot || !opened_at || !oldest_live || !writer || !n || *n > in.size() / 12)
    return make_error_code(Errc::corrupted);
  block.slot = *slot;
  block.opened_at = TimestampNs{static_cast<std::int64_t>(*opened_at)};
  block.oldest_live = Seq{*oldest_live};
  block.writer = std::move(*writer);
  block.entries.reserve(*n);
  for (std::uint64_t k = 0; k < *n; ++k) {
    auto signature = get_text(in, 1);
    const auto valid_until = get_be(in, 8);
    auto outcome = get_text(in, 2);
    if (!signature || !valid_until || !outcome) return make_error_code(Errc::corrupted);
    block.entries.push_back(
        ChainEntry{std::move(*signature), TimestampNs{static_cast<std::int64_t>(*valid_until)}, std::move(*outcome)});
  }
  if (!in.empty()) return make_error_code(Errc::corrupted);
  return block;
}

StreamSpec chain_stream_spec() {
  StreamSpec spec;
  spec.name = kChainStream;
  spec.subjects = {"oee.chain.block"};
  return spec;
}

std::error_code for_each_block(Connection& connection, Seq from,
                               const std::function<bool(Seq, const ChainBlock&)>& visit) {
  auto state = connection.stream_state(kChainStream);
  if (!state) return state.error() == JsErrc::not_found ? std::error_code{} : state.error();
  for (Seq at = std::max(from, state->first); at <= state->last;) {
    // A wildcard filter: read with a consumer (or, read-only, message gets)
    // rather than a get per block.
    auto messages = connection.read(kChainStream, "oee.chain.>", at, kReadChunk);
    if (!messages) return messages.error();
    if (messages->empty()) break;
    for (const auto& m : *messages) {
      auto block = decode_block(m.data);
      if (!block) return block.error();
      if (!visit(m.seq, *block)) return {};
      at = m.seq.next();
    }
  }
  return {};
}

Result<ChainLedgerContents> read_chain(Connection& connection) {
  ChainLedgerContents out;
  const auto read = for_each_block(connection, Seq{1}, [&](Seq, const ChainBlock& block) {
    ++out.blocks;
    for (const auto& e : block.entries)
      if (!out.outcomes.emplace(e.signature, e.outcome).second) out.twice.push_back(e.signature);
    return true;
  });
  if (read) return read;
  return out;
}

}  // namespace oee::eventlog::jetstream
