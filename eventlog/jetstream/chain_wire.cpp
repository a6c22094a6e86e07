#include "eventlog/jetstream/chain_wire.h"

#include "eventlog/errors.h"
#include "eventlog/jetstream/detail/big_endian.h"

namespace oee::eventlog::jetstream {

namespace {

using detail::get_be;
using detail::get_text;
using detail::put_be;

constexpr std::string_view kSendMagic = "oeeT1";
constexpr std::string_view kFindMagic = "oeeF1";
constexpr std::string_view kAnswerMagic = "oeeA1";

}  // namespace

std::optional<ChainRequest> decode_chain_request(std::string_view in) {
  ChainRequest r;
  if (in.starts_with(kFindMagic)) {
    in.remove_prefix(kFindMagic.size());
    auto signature = get_text(in, 1);
    if (!signature || !in.empty()) return std::nullopt;
    r.find = true;
    r.sends.push_back(ChainSend{std::move(*signature), {}, {}});
    return r;
  }
  if (!in.starts_with(kSendMagic)) return std::nullopt;
  in.remove_prefix(kSendMagic.size());
  const auto n = get_be(in, 4);
  if (!n || *n > in.size() / 11) return std::nullopt;
  for (std::uint64_t k = 0; k < *n; ++k) {
    auto signature = get_text(in, 1);
    const auto valid_until = get_be(in, 8);
    auto outcome = get_text(in, 2);
    if (!signature || !valid_until || !outcome || signature->empty()) return std::nullopt;
    r.sends.push_back(
        ChainSend{std::move(*signature), TimestampNs{static_cast<std::int64_t>(*valid_until)}, std::move(*outcome)});
  }
  if (!in.empty()) return std::nullopt;
  return r;
}

std::string encode_chain_answer(const ChainAnswers& answers) {
  std::string out(kAnswerMagic);
  put_be(out, answers.size(), 4);
  for (const auto& [kind, value] : answers) {
    put_be(out, static_cast<std::uint8_t>(kind), 1);
    put_be(out, value.size(), 2);
    out.append(value, 0, 0xFFFF);
  }
  return out;
}

std::string encode_chain_send(const std::vector<ChainSend>& sends) {
  std::string out(kSendMagic);
  put_be(out, sends.size(), 4);
  for (const auto& s : sends) {
    put_be(out, s.signature.size(), 1);
    out.append(s.signature, 0, 255);
    put_be(out, static_cast<std::uint64_t>(s.valid_until.value), 8);
    put_be(out, s.outcome.size(), 2);
    out.append(s.outcome, 0, 0xFFFF);
  }
  return out;
}

std::string encode_chain_find(std::string_view signature) {
  std::string out(kFindMagic);
  put_be(out, signature.size(), 1);
  out.append(signature.substr(0, 255));
  return out;
}

Result<ChainAnswers> decode_chain_answer(std::string_view data) {
  if (!data.starts_with(kAnswerMagic)) return make_error_code(Errc::corrupted);
  std::string_view in = data.substr(kAnswerMagic.size());
  const auto n = get_be(in, 4);
  if (!n || *n > in.size() / 3) return make_error_code(Errc::corrupted);
  ChainAnswers out;
  out.reserve(*n);
  for (std::uint64_t k = 0; k < *n; ++k) {
    const auto kind = get_be(in, 1);
    auto value = get_text(in, 2);
    if (!kind || !value || *kind > static_cast<std::uint8_t>(ChainAnswer::none)) return make_error_code(Errc::corrupted);
    out.emplace_back(static_cast<ChainAnswer>(*kind), std::move(*value));
  }
  if (!in.empty()) return make_error_code(Errc::corrupted);
  return out;
}

}  // namespace oee::eventlog::jetstream
