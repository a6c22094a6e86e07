#include "core/engine/sim_chain.h"

#include "core/domain/mix.h"
#include "core/domain/sim_clock.h"

#include <array>
#include <charconv>
#include <cstring>
#include <vector>

namespace oee::core {

namespace {

TxResult expired_result() {
  return TxResult{TxOutcome::expired, {}, "transaction expired: sent after its last valid time"};
}

std::string unavailable_cause(const eventlog::KeyValueStore& ledger) {
  const std::string why = ledger.write_error();
  return why.empty() ? std::string() : " (" + why + ")";
}

}  // namespace

std::string base58_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  // Each pass divides the number by 58^5 (which fits 32 bits) over 32-bit
  // limbs and yields five digits: about 25x fewer divisions than one digit
  // per pass over bytes, and the executor makes a tx id per attempt.
  constexpr std::uint64_t kChunk = 58ULL * 58 * 58 * 58 * 58;
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  const std::string_view rest = bytes.substr(zeros);
  std::vector<std::uint32_t> limbs((rest.size() + 3) / 4);  // big-endian, first limb left-padded
  std::size_t shift = (4 - rest.size() % 4) % 4;
  for (const char c : rest) {
    auto& limb = limbs[shift / 4];
    limb = (limb << 8) | static_cast<std::uint8_t>(c);
    ++shift;
  }
  std::string digits;  // little-endian base-58 digits
  digits.reserve(rest.size() * 138 / 100 + 5);
  std::size_t top = 0;  // limbs before `top` are zero
  while (top < limbs.size()) {
    std::uint64_t rem = 0;
    for (std::size_t i = top; i < limbs.size(); ++i) {
      const std::uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<std::uint32_t>(cur / kChunk);
      rem = cur % kChunk;
    }
    while (top < limbs.size() && limbs[top] == 0) ++top;
    for (int k = 0; k < 5; ++k) {
      digits.push_back(static_cast<char>(rem % 58));
      rem /= 58;
    }
  }
  while (!digits.empty() && digits.back() == 0) digits.pop_back();  // the last chunk's padding
  std::string out(zeros, '1');
  out.reserve(zeros + digits.size());
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[static_cast<unsigned char>(*it)]);
  return out;
}

SimChain::SimChain(const Market& market, double fail_rate, eventlog::KeyValueStore& ledger, std::uint64_t seed)
    : market_(market), fail_rate_(fail_rate), ledger_(ledger), seed_(seed) {}

std::string SimChain::tx_id(const OrderId& order, std::uint32_t attempt) { return tx_id(order, attempt, 0); }

std::string SimChain::tx_id(const OrderId& order, std::uint32_t attempt, std::uint32_t leg) {
  // 64 bytes like a Solana signature, derived only from (order, attempt, leg).
  std::uint64_t h = mix(attempt);
  if (leg != 0) h = mix(h ^ (std::uint64_t{leg} << 32));
  for (auto b : order.bytes()) h = mix(h ^ b);
  char sig[64];
  for (int i = 0; i < 8; ++i) {
    h = mix(h + static_cast<std::uint64_t>(i));
    std::memcpy(sig + 8 * i, &h, 8);
  }
  sig[0] = static_cast<char>(sig[0] | 1);  // no leading zero byte: fixed-ish length
  return base58_encode(std::string_view(sig, sizeof sig));
}

TxResult SimChain::submit(const TxRequest& tx, std::chrono::system_clock::time_point now) {
  return submit_all(std::span(&tx, 1), now).front();
}

// Decided first, then recorded create-only: the record is the execution. A
// tx sent again (after a takeover, by another node) finds its record and
// is answered with the outcome it had then, landed or refused, and a
// decision needs no read of the ledger first.
std::vector<TxResult> SimChain::submit_all(std::span<const TxRequest> txs, std::chrono::system_clock::time_point now) {
  std::vector<TxResult> results;
  results.reserve(txs.size());
  std::vector<std::string> values;  // the outcomes' ledger values, kept alive for the write
  values.reserve(txs.size());
  std::vector<eventlog::KeyValueStore::Entry> decided;
  for (const auto& tx : txs) {
    results.push_back(execute(tx, now));
    values.push_back(ledger_value(results.back()));
    decided.push_back({tx.tx_id, values.back(), tx.last_valid_at});
  }
  if (decided.empty()) return results;
  const auto created = ledger_.create_all(decided);
  for (std::size_t k = 0; k < results.size(); ++k) {
    auto& result = results[k];
    if (!created[k] && created[k].error() == eventlog::Errc::too_late) {
      // Sent again long after its last valid time, and never decided.
      result = expired_result();
    } else if (!created[k]) {
      // A chain that cannot record an outcome has not decided it.
      result = TxResult{TxOutcome::unavailable, {},
                        "the simulated chain could not record the transaction: " + created[k].error().message() +
                            unavailable_cause(ledger_)};
    } else if (*created[k]) {
      result = recorded(std::string(decided[k].key), **created[k]);
    }
  }
  return results;
}

TxResult SimChain::execute(const TxRequest& tx, std::chrono::system_clock::time_point now) const {
  // The drop decision is a function of the tx id, so resending the same tx
  // behaves the same and tests are reproducible.
  if (tx.last_valid_at.value != 0 && now > to_time_point(tx.last_valid_at)) {
    return expired_result();
  }
  const double u = static_cast<double>(hash_bytes(tx.tx_id, seed_) >> 11) * 0x1.0p-53;
  if (u < fail_rate_) return TxResult{TxOutcome::dropped, {}, "transaction dropped: not taken by the leader"};

  const auto pool = market_.pool(tx.venue, tx.input.token(), tx.output.token(), now);
  if (!pool) return TxResult{TxOutcome::dropped, {}, "pool not found"};
  const Quote q = quote_pool(tx.venue, *pool, tx.amount_in);
  if (q.amount_out < tx.min_out) {
    return TxResult{TxOutcome::slippage_exceeded, q.amount_out,
                    "slippage exceeded: would receive " + format_amount(q.amount_out, tx.output.decimals()) +
                        " " + std::string(tx.output.symbol()) + ", minimum " +
                        format_amount(tx.min_out, tx.output.decimals()),
                    q};
  }
  return TxResult{TxOutcome::landed, q.amount_out, {}, q};
}

std::optional<TxResult> SimChain::find(const std::string& tx_id) const {
  const auto stored = ledger_.get(tx_id);
  if (!stored) {
    return TxResult{TxOutcome::unavailable, {},
                    "the simulated chain could not read its ledger: " + stored.error().message() +
                        unavailable_cause(ledger_)};
  }
  if (!*stored) return std::nullopt;
  return recorded(tx_id, **stored);
}

TxResult SimChain::recorded(const std::string& tx_id, std::string_view value) {
  auto outcome = parse_ledger_value(value);
  if (!outcome) {
    return TxResult{TxOutcome::unavailable, {}, "the simulated chain's ledger holds no outcome for " + tx_id};
  }
  return std::move(*outcome);
}

namespace {

struct RefusalKind {
  TxOutcome outcome;
  std::string_view name;
};
constexpr std::array<RefusalKind, 3> kRefusals{{
    {TxOutcome::slippage_exceeded, "slippage"},
    {TxOutcome::dropped, "dropped"},
    {TxOutcome::expired, "expired"},
}};

}  // namespace

std::string ledger_value(Amount amount_out) { return std::to_string(amount_out.base); }

std::string ledger_value(const TxResult& outcome) {
  if (outcome.outcome == TxOutcome::landed) return ledger_value(outcome.amount_out);
  for (const auto& kind : kRefusals) {
    if (kind.outcome == outcome.outcome) return std::string(kind.name) + ":" + outcome.error;
  }
  return {};  // unavailable: not an outcome, never recorded
}

std::optional<TxResult> parse_ledger_value(std::string_view text) {
  std::uint64_t base = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), base);
  if (ec == std::errc{} && end == text.data() + text.size()) return TxResult{TxOutcome::landed, Amount{base}, {}};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  for (const auto& kind : kRefusals) {
    if (text.substr(0, colon) == kind.name) {
      return TxResult{kind.outcome, {}, std::string(text.substr(colon + 1))};
    }
  }
  return std::nullopt;
}

}  // namespace oee::core
