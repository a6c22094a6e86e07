#include "eventlog/jetstream/chain_ledger.h"

#include "eventlog/jetstream/chain_blocks.h"
#include "eventlog/jetstream/chain_writer.h"

#include <algorithm>
#include <stdexcept>
#include <mutex>
#include <unordered_map>

namespace oee::eventlog::jetstream {

namespace {

/// Every outcome in the blocks, in the order stored.
std::error_code visit_outcomes(Connection& connection,
                               const std::function<void(std::string_view key, std::string_view value)>& visit) {
  return for_each_block(connection, Seq{1}, [&](Seq, const ChainBlock& block) {
    for (const auto& e : block.entries) visit(e.signature, e.outcome);
    return true;
  });
}

/// How long a find waits: the writer answers it at once from its cache,
/// and a sender only uses it as a hint.
constexpr std::chrono::milliseconds kFindWait{250};

/// Sends per request, at most: a request stays far under NATS's 1 MiB.
constexpr std::size_t kSendsPerRequest = 1000;

class ChainLedger final : public KeyValueStore {
 public:
  ChainLedger(Connection& connection, std::chrono::milliseconds timeout)
      : connection_(connection), timeout_(timeout) {}

  Result<std::optional<std::string>> get(std::string_view key) const override {
    Publish p;
    p.subject = kChainSendSubject;
    const auto data = encode_chain_find(key);
    p.data = data;
    auto answers = ask(std::span(&p, 1), std::min(timeout_, kFindWait)).front();
    if (!answers) return answers.error();
    if (answers->size() != 1) return make_error_code(Errc::corrupted);
    const auto& [kind, value] = answers->front();
    if (kind == ChainAnswer::held) return std::optional<std::string>(value);
    if (kind == ChainAnswer::none) return std::optional<std::string>{};
    return make_error_code(Errc::unavailable);
  }

  std::error_code put_all(std::span<const Entry> entries) override {
    const auto created = create_all(entries);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!created[i]) return created[i].error();
      if (*created[i] && **created[i] != entries[i].value) return make_error_code(Errc::superseded);
    }
    return {};
  }

  std::vector<Created> create_all(std::span<const Entry> entries) override {
    std::vector<std::string> requests;
    for (std::size_t from = 0; from < entries.size(); from += kSendsPerRequest) {
      std::vector<ChainSend> sends;
      for (std::size_t i = from; i < std::min(entries.size(), from + kSendsPerRequest); ++i)
        sends.push_back(ChainSend{std::string(entries[i].key), entries[i].valid_until, std::string(entries[i].value)});
      requests.push_back(encode_chain_send(sends));
    }
    std::vector<Publish> publishes(requests.size());
    for (std::size_t r = 0; r < requests.size(); ++r) {
      publishes[r].subject = kChainSendSubject;
      publishes[r].data = requests[r];
    }
    const auto answers = ask(publishes, timeout_);
    std::vector<Created> out;
    out.reserve(entries.size());
    for (std::size_t r = 0; r < answers.size(); ++r) {
      const std::size_t asked = std::min(kSendsPerRequest, entries.size() - r * kSendsPerRequest);
      const auto& answer = answers[r];
      for (std::size_t k = 0; k < asked; ++k) {
        if (!answer) {
          out.emplace_back(answer.error());
          continue;
        }
        if (answer->size() != asked) {
          out.emplace_back(make_error_code(Errc::unavailable));
          continue;
        }
        const auto& [kind, value] = (*answer)[k];
        switch (kind) {
          case ChainAnswer::stored: out.emplace_back(std::optional<std::string>{}); break;
          case ChainAnswer::held: out.emplace_back(std::optional<std::string>(value)); break;
          case ChainAnswer::too_late: out.emplace_back(make_error_code(Errc::too_late)); break;
          case ChainAnswer::unknown:
          case ChainAnswer::none: out.emplace_back(make_error_code(Errc::unavailable)); break;
        }
      }
    }
    return out;
  }

  std::error_code sync() override { return {}; }

  std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const override {
    return visit_outcomes(connection_, visit);
  }

  std::string write_error() const override {
    if (!connection_.connected()) return "no NATS server is reachable";
    std::lock_guard lock(mu_);
    return problem_;
  }

 private:
  void note(std::string problem) const {
    std::lock_guard lock(mu_);
    problem_ = std::move(problem);
  }

  // Each request's answers; Errc::unavailable when the writer did not
  // answer (none now, or not in time) or answered what is not an answer.
  std::vector<Result<ChainAnswers>> ask(std::span<const Publish> requests,
                                                                            std::chrono::milliseconds wait) const {
    const auto replies = connection_.request_all(requests, wait);
    std::vector<Result<ChainAnswers>> out;
    out.reserve(replies.size());
    std::string problem;
    for (const auto& reply : replies) {
      if (!reply) {
        problem = reply.error() == JsErrc::not_found ? "no node writes the chain's blocks right now (its lease is moving)"
                                                     : "the chain's writer did not answer in time";
        out.emplace_back(make_error_code(Errc::unavailable));
        continue;
      }
      auto decoded = decode_chain_answer(*reply);
      if (!decoded) {
        problem = "the chain's writer answered what is not an answer";
        out.emplace_back(make_error_code(Errc::unavailable));
      } else {
        if (std::any_of(decoded->begin(), decoded->end(),
                        [](const auto& a) { return a.first == ChainAnswer::unknown; }))
          problem = "the chain's writer could not store its block (another node writes the chain now)";
        out.emplace_back(std::move(*decoded));
      }
    }
    note(std::move(problem));
    return out;
  }

  Connection& connection_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  mutable std::string problem_;  // why the last request was not answered in full; under mu_
};

class ChainReader final : public KeyValueStore {
 public:
  explicit ChainReader(Connection& connection) : connection_(connection) {}

  Result<std::optional<std::string>> get(std::string_view key) const override {
    std::lock_guard lock(mu_);
    auto it = outcomes_.find(std::string(key));
    if (it == outcomes_.end()) {
      if (const auto ec = read_new()) return ec;
      it = outcomes_.find(std::string(key));
      if (it == outcomes_.end()) return std::optional<std::string>{};
    }
    return std::optional<std::string>(it->second);
  }

  std::error_code put_all(std::span<const Entry>) override { return make_error_code(Errc::read_only); }

  std::vector<Created> create_all(std::span<const Entry> entries) override {
    return std::vector<Created>(entries.size(), Created(make_error_code(Errc::read_only)));
  }

  std::error_code sync() override { return {}; }

  std::error_code for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) const override {
    return visit_outcomes(connection_, visit);
  }

  std::string write_error() const override { return "the chain's ledger is read-only here"; }

 private:
  std::error_code read_new() const {
    return for_each_block(connection_, next_, [&](Seq seq, const ChainBlock& block) {
      for (const auto& e : block.entries) outcomes_.emplace(e.signature, e.outcome);
      next_ = seq.next();
      return true;
    });
  }

  Connection& connection_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::string> outcomes_;  // under mu_
  mutable Seq next_{1};                                            // under mu_
};

}  // namespace

std::unique_ptr<KeyValueStore> open_chain_reader(Connection& connection) {
  return std::make_unique<ChainReader>(connection);
}

std::unique_ptr<KeyValueStore> open_chain_ledger(Connection& connection, std::chrono::milliseconds timeout) {
  // A chain whose ledger is a key per signature (the format before blocks)
  // remembers signatures the blocks would not: sending one again could
  // land it twice.
  if (auto old = connection.stream_state("KV_oee-chain"); old && old->messages > 0)
    throw std::runtime_error(
        "the NATS cluster keeps the simulated chain's ledger in bucket oee-chain (a key per signature, the format "
        "before blocks), which this build does not read: start it on servers of its own, or remove the old log's "
        "streams (OEE_P*, OEE_CKPT, OEE_DONE, OEE_CHAIN) and buckets (oee-meta, oee-leases, oee-chain)");
  return std::make_unique<ChainLedger>(connection, timeout);
}

}  // namespace oee::eventlog::jetstream
