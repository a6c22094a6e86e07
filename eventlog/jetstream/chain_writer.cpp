#include "eventlog/jetstream/chain_writer.h"

#include <pthread.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "eventlog/errors.h"

namespace oee::eventlog::jetstream {

namespace {

using namespace std::chrono_literals;

/// What one block holds at most: under NATS's 1 MiB payload.
constexpr std::size_t kBlockBytes = 512 << 10;
constexpr std::chrono::milliseconds kAppendWait{5000};

TimestampNs wall_now() { return TimestampNs::now(); }

TimestampNs plus(TimestampNs t, std::chrono::milliseconds d) {
  return TimestampNs{t.value + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()};
}

/// A request as queued, and where its answer goes.
struct Waiting : ChainRequest {
  std::string reply;
  std::size_t bytes = 0;
};

}  // namespace

struct ChainWriter::Impl {
  Impl(Connection& c, ChainWriterOptions o, std::function<void()> fenced, std::function<bool()> may)
      : connection(c), options(std::move(o)), on_fenced(std::move(fenced)), may_write(std::move(may)) {}

  struct Cached {
    std::string outcome;
    Seq block;
  };

  // Set by start(), then read by the writer's thread.
  Connection& connection;
  ChainWriterOptions options;
  std::function<void()> on_fenced;
  std::function<bool()> may_write;

  // Changed by the writer's thread alone (start()'s before it runs) under
  // cache_mu; a find reads it on the service's thread.
  mutable std::shared_mutex cache_mu;
  std::unordered_map<std::string, Cached> cache;
  std::multimap<std::int64_t, std::string> expiries;  // until when each cached signature is kept
  std::map<Seq, std::size_t> live;                    // each block's signatures in the cache
  Seq last;                                           // the stream's last block: the fence
  std::uint64_t slot = 0;                             // the last block's
  TimestampNs opened_at;                              // the last block's
  Seq first;                                          // the stream's first seq

  std::atomic<std::size_t> cached_count{0};

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Waiting> queue;  // under mu
  bool stopping = false;       // under mu
  // Requests come while it lives: set by start(), ended by the writer's
  // thread once it stops (fenced out), or by the destructor.
  std::mutex service_mu;
  std::unique_ptr<Service> service;  // under service_mu
  std::thread thread;

  void stop_serving() {
    std::lock_guard lock(service_mu);
    service.reset();
  }

  TimestampNs keep_until(TimestampNs valid_until, TimestampNs decided) const {
    if (valid_until.value == 0) valid_until = plus(decided, options.max_validity);
    return plus(valid_until, kChainGrace);
  }

  void remember(const ChainEntry& e, Seq block, TimestampNs decided) {
    {
      std::unique_lock lock(cache_mu);
      if (!cache.emplace(e.signature, Cached{e.outcome, block}).second) return;
    }
    expiries.emplace(keep_until(e.valid_until, decided).value, e.signature);
    ++live[block];
  }

  void evict(TimestampNs now) {
    while (!expiries.empty() && expiries.begin()->first < now.value) {
      std::unique_lock lock(cache_mu);
      const auto it = cache.find(expiries.begin()->second);
      if (it != cache.end()) {
        if (const auto l = live.find(it->second.block); l != live.end() && --l->second == 0) live.erase(l);
        cache.erase(it);
      }
      expiries.erase(expiries.begin());
    }
    cached_count.store(cache.size(), std::memory_order_relaxed);
  }

  [[nodiscard]] Seq oldest_live() const { return live.empty() ? last.next() : live.begin()->first; }

  void take(Seq seq, const ChainBlock& block) {
    for (const auto& e : block.entries) remember(e, seq, block.opened_at);
    last = seq;
    slot = block.slot;
    opened_at = std::max(opened_at, block.opened_at);
  }

  // Rebuilds the cache from the blocks still live, then stores the fence.
  std::error_code open() {
    if (auto made = connection.ensure_stream(chain_stream_spec(), 30s); !made) return made.error();
    auto state = connection.stream_state(kChainStream);
    if (!state) return state.error();
    first = state->first;
    Seq from = state->last;
    if (state->last.value != 0) {
      auto tail = connection.get(kChainStream, state->last);
      if (!tail) return tail.error();
      if (!*tail) return make_error_code(Errc::corrupted);
      auto block = decode_block((*tail)->data);
      if (!block) return block.error();
      from = std::max(block->oldest_live, state->first);
    }
    const auto now = wall_now();
    if (state->last.value != 0) {
      const auto read = for_each_block(connection, from, [&](Seq seq, const ChainBlock& block) {
        take(seq, block);
        return true;
      });
      if (read) return read;
    }
    evict(now);
    // A start that took long (this node paused meanwhile) does not fence
    // out a writer that took over since.
    if (may_write && !may_write()) return make_error_code(JsErrc::lease_lost);
    ChainBlock fence{slot + 1, std::max(now, opened_at), oldest_live(), options.writer, {}};
    auto stored = store(fence);
    if (!stored) return stored.error() == JsErrc::wrong_last_sequence ? std::error_code(JsErrc::fenced) : stored.error();
    return {};
  }

  Result<Seq> store(const ChainBlock& block) {
    const auto data = encode_block(block);
    Publish p;
    p.subject = kChainBlockSubject;
    p.data = data;
    p.expect_last_seq = last;
    p.timeout = kAppendWait;
    auto ack = connection.publish(p);
    if (!ack) return ack.error();
    last = ack->seq;
    slot = block.slot;
    opened_at = block.opened_at;
    return ack->seq;
  }

  // After a block's store failed: the blocks stored since this writer's
  // last. Its own (a store whose answer was lost) are taken; another's
  // means another writer: this one stops.
  bool still_the_writer() {
    bool alone = true;
    const auto read = for_each_block(connection, last.next(), [&](Seq seq, const ChainBlock& block) {
      if (block.writer != options.writer) {
        alone = false;
        return false;
      }
      take(seq, block);
      return true;
    });
    if (read) spdlog::warn("chain: cannot read the blocks after {} ({})", last.value, read.message());
    return alone;
  }

  // The late signatures' outcomes, from the blocks of their validity.
  std::unordered_map<std::string, std::string> look_back(const std::vector<const ChainSend*>& late) {
    std::unordered_map<std::string, std::string> found;
    if (late.empty()) return found;
    std::unordered_set<std::string> wanted;
    TimestampNs from{std::numeric_limits<std::int64_t>::max()};
    TimestampNs to{0};
    for (const auto* s : late) {
      wanted.insert(s->signature);
      from = std::min(from, plus(s->valid_until, -options.max_validity - 1s));
      to = std::max(to, plus(s->valid_until, kChainGrace));
    }
    // The first block opened at or after `from`: blocks open in order.
    std::uint64_t lo = first.value == 0 ? 1 : first.value, hi = last.value + 1;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      auto m = connection.get(kChainStream, Seq{mid});
      if (!m || !*m) {
        lo = mid + 1;
        continue;
      }
      auto block = decode_block((*m)->data);
      if (block && block->opened_at < from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const auto read = for_each_block(connection, Seq{lo}, [&](Seq, const ChainBlock& block) {
      if (to < block.opened_at) return false;
      for (const auto& e : block.entries)
        if (wanted.contains(e.signature)) found.emplace(e.signature, e.outcome);
      return true;
    });
    if (read) spdlog::warn("chain: cannot look back for {} late signatures ({})", late.size(), read.message());
    return found;
  }

  // One slot: decides what `batch` asks, stores the block, answers.
  void serve_slot(std::vector<Waiting>& batch) {
    const auto now = wall_now();
    evict(now);
    ChainBlock block{slot + 1, std::max(now, opened_at), Seq{}, options.writer, {}};
    std::vector<ChainAnswers> answers(batch.size());
    struct Deferred {
      std::size_t request, answer, entry;
      bool first;  // the send that put the entry in the block
    };
    std::vector<Deferred> deferred;  // answered from the block, once stored
    std::unordered_map<std::string_view, std::size_t> in_block;
    std::vector<const ChainSend*> late;
    std::vector<std::pair<std::size_t, std::size_t>> late_at;
    for (std::size_t r = 0; r < batch.size(); ++r) {
      auto& w = batch[r];
      answers[r].resize(w.sends.size());
      for (std::size_t k = 0; k < w.sends.size(); ++k) {
        const auto& s = w.sends[k];
        if (const auto held = cache.find(s.signature); held != cache.end()) {
          answers[r][k] = {ChainAnswer::held, held->second.outcome};
        } else if (const auto same = in_block.find(s.signature); same != in_block.end()) {
          deferred.push_back({r, k, same->second, false});
        } else if (s.valid_until.value != 0 && plus(s.valid_until, kChainGrace) < now) {
          late.push_back(&s);
          late_at.emplace_back(r, k);
        } else if (s.valid_until.value != 0 && plus(now, options.max_validity) < s.valid_until) {
          answers[r][k] = {ChainAnswer::too_late, {}};
        } else {
          in_block.emplace(s.signature, block.entries.size());
          deferred.push_back({r, k, block.entries.size(), true});
          block.entries.push_back(ChainEntry{s.signature, s.valid_until, s.outcome});
        }
      }
    }
    const auto found = look_back(late);
    for (std::size_t i = 0; i < late.size(); ++i) {
      const auto [r, k] = late_at[i];
      const auto it = found.find(late[i]->signature);
      answers[r][k] = it == found.end() ? std::pair{ChainAnswer::too_late, std::string()}
                                        : std::pair{ChainAnswer::held, it->second};
    }
    bool fenced = false;
    if (!block.entries.empty()) {
      block.oldest_live = oldest_live();
      auto stored = store(block);
      if (stored) {
        for (const auto& e : block.entries) remember(e, *stored, block.opened_at);
        cached_count.store(cache.size(), std::memory_order_relaxed);
      } else {
        spdlog::warn("chain: the block of slot {} was not stored ({}); its {} transactions are sent again",
                     block.slot, stored.error().message(), block.entries.size());
        fenced = !still_the_writer();
      }
      for (const auto& d : deferred) {
        if (!stored) {
          answers[d.request][d.answer] = {ChainAnswer::unknown, {}};
        } else if (d.first) {
          answers[d.request][d.answer] = {ChainAnswer::stored, {}};
        } else {
          answers[d.request][d.answer] = {ChainAnswer::held, block.entries[d.entry].outcome};
        }
      }
    }
    for (std::size_t r = 0; r < batch.size(); ++r) {
      if (batch[r].reply.empty()) continue;
      if (const auto ec = connection.respond(batch[r].reply, encode_chain_answer(answers[r])))
        spdlog::debug("chain: an answer was not sent ({})", ec.message());
    }
    if (fenced) {
      spdlog::warn("chain: another node writes the chain's blocks now; this one ({}) stops", options.writer);
      if (on_fenced) on_fenced();
      std::lock_guard lock(mu);
      stopping = true;
    }
  }

  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) break;
      if (options.slot.count() > 0) cv.wait_for(lock, options.slot, [&] { return stopping; });
      if (stopping) break;
      // A block's worth at most; what is left starts the next slot at once.
      std::vector<Waiting> batch;
      std::size_t bytes = 0;
      std::size_t taken = 0;
      while (taken < queue.size() && (batch.empty() || bytes + queue[taken].bytes <= kBlockBytes)) {
        bytes += queue[taken].bytes;
        batch.push_back(std::move(queue[taken++]));
      }
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(taken));
      lock.unlock();
      serve_slot(batch);
      lock.lock();
    }
    auto left = std::move(queue);
    queue.clear();
    lock.unlock();
    stop_serving();  // a writer fenced out must not answer for the one that writes now
    for (auto& w : left) {
      ChainAnswers unknown(w.sends.size(), {ChainAnswer::unknown, {}});
      if (!w.reply.empty()) (void)connection.respond(w.reply, encode_chain_answer(unknown));
    }
  }

  void enqueue(Request request) {
    auto decoded = decode_chain_request(request.data);
    if (!decoded) {
      if (!request.reply.empty()) (void)connection.respond(request.reply, encode_chain_answer({}));
      return;
    }
    Waiting waiting{std::move(*decoded), std::move(request.reply), request.data.size()};
    if (waiting.find) return answer_find(waiting);
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        queue.push_back(std::move(waiting));
        cv.notify_one();
        return;
      }
    }
    // Stopping: sent again later, to whoever writes then (a sender that
    // waited for an answer here would wait out its whole bound).
    ChainAnswers unknown(waiting.sends.size(), {ChainAnswer::unknown, {}});
    if (!waiting.reply.empty()) (void)connection.respond(waiting.reply, encode_chain_answer(unknown));
  }

  // At once, from the cache: a find is a sender's hint, not a decision.
  void answer_find(const Waiting& w) {
    std::pair<ChainAnswer, std::string> answer{ChainAnswer::none, {}};
    {
      std::shared_lock lock(cache_mu);
      if (const auto held = cache.find(w.sends.front().signature); held != cache.end())
        answer = {ChainAnswer::held, held->second.outcome};
    }
    if (!w.reply.empty()) (void)connection.respond(w.reply, encode_chain_answer({answer}));
  }
};

ChainWriter::ChainWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<ChainWriter>> ChainWriter::start(Connection& connection, ChainWriterOptions options,
                                                        std::function<void()> on_fenced,
                                                        std::function<bool()> may_write) {
  auto impl = std::make_unique<Impl>(connection, std::move(options), std::move(on_fenced), std::move(may_write));
  if (const auto ec = impl->open()) return ec;
  spdlog::info("chain: this node writes the chain's blocks from slot {} ({} signatures still valid)", impl->slot + 1,
               impl->cache.size());
  auto* raw = impl.get();
  impl->thread = std::thread([raw] {
    pthread_setname_np(pthread_self(), "oee-chain");
    raw->run();
  });
  try {
    auto service = connection.serve(kChainSendSubject, "", [raw](Request r) { raw->enqueue(std::move(r)); });
    std::lock_guard lock(impl->service_mu);
    impl->service = std::move(service);
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(impl->mu);
      impl->stopping = true;
    }
    impl->cv.notify_all();
    impl->thread.join();
    spdlog::warn("chain: cannot serve {}: {}", kChainSendSubject, e.what());
    return std::error_code(JsErrc::not_connected);
  }
  return std::unique_ptr<ChainWriter>(new ChainWriter(std::move(impl)));
}

ChainWriter::~ChainWriter() {
  impl_->stop_serving();  // no request comes in after this
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::size_t ChainWriter::cached() const { return impl_->cached_count.load(std::memory_order_relaxed); }

}  // namespace oee::eventlog::jetstream
