#include "tools/chaos/workload.h"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "tools/chaos/http_client.h"
#include "tools/chaos/rng.h"

namespace oee::chaos {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool OrderRecord::cancel_answered_200() const {
  const auto ok = [](const Answer& a) { return a.status == 200; };
  return std::any_of(cancels.begin(), cancels.end(), ok) || std::any_of(sweep_cancels.begin(), sweep_cancels.end(), ok);
}

double quoted_price(HttpClient& http, unsigned short port) {
  const auto res = http.get(port, "/api/quote?inputToken=SOL&outputToken=USDC&amount=1");
  const auto body = res.status == 200 ? res.json() : std::nullopt;
  if (!body || !body->is_object()) return 0;
  const auto* out = body->as_object().if_contains("amountOut");
  if (out == nullptr || !out->is_string()) return 0;
  try {
    return std::stod(std::string(out->as_string()));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string acknowledged_id(int status, const std::string& body) {
  if (status != 202 && status != 200) return {};
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return {};
  const auto* id = value.as_object().if_contains("orderId");
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
}

namespace {

// Every choice one order needs, drawn at once whatever the answers turn
// out to be, so that a seed gives each client the same sequence of choices
// in every run.
struct Choices {
  int node = 0;  // the node the submit goes to first
  bool limit = false;
  bool big = false;  // a market order large enough that the router may split it
  double amount = 0;
  double price_factor = 1;  // a limit price relative to the quote
  bool cancel = false;
  std::chrono::milliseconds cancel_after{0};
  bool amend = false;
  int amend_node = 0;
  std::chrono::milliseconds amend_after{0};
  double amend_factor = 1;
  std::chrono::milliseconds think{0};
};

Choices draw(Rng& rng) {
  Choices c;
  c.node = rng.below(2);
  c.limit = rng.chance(0.3);
  c.big = rng.chance(0.1);
  const double small = rng.uniform(0.05, 3);
  const double large = rng.uniform(300, 3000);
  const double limit_amount = rng.uniform(0.1, 2);
  c.amount = c.limit ? limit_amount : c.big ? large : small;
  // Mostly above the price, a little: some fire at once, some after the
  // market's drift, some never in the run (the end's sweep cancels them).
  c.price_factor = 1 + rng.uniform(-0.002, 0.006);
  c.cancel = rng.chance(0.35);
  c.cancel_after = std::chrono::milliseconds(rng.below(401));
  c.amend = c.limit && rng.chance(0.3);
  c.amend_node = rng.below(2);
  c.amend_after = std::chrono::milliseconds(200 + rng.below(1301));
  c.amend_factor = 1 + rng.uniform(-0.002, 0.006);
  c.think = std::chrono::milliseconds(100 + rng.below(401));
  return c;
}

bool unanswered(const HttpResponse& res) { return res.status == 0 || res.status == 503; }

}  // namespace

Workload::Workload(const Cluster& cluster, WorkloadOptions options, const std::atomic<bool>& interrupted)
    : cluster_(cluster), options_(options), interrupted_(interrupted) {}

Workload::~Workload() { join(); }

void Workload::start(double price) {
  price_.store(price);
  records_.assign(static_cast<std::size_t>(options_.clients), {});
  errors_.assign(static_cast<std::size_t>(options_.clients), {});
  for (int i = 0; i < options_.clients; ++i) threads_.emplace_back([this, i] { run_client(i); });
}

void Workload::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::vector<OrderRecord> Workload::records() const {
  std::vector<OrderRecord> out;
  for (const auto& client : records_) out.insert(out.end(), client.begin(), client.end());
  return out;
}

std::vector<std::string> Workload::errors() const {
  std::vector<std::string> out;
  for (const auto& e : errors_) {
    if (!e.empty()) out.push_back(e);
  }
  return out;
}

void Workload::run_client(int index) {
  try {
    Rng rng(options_.seed, static_cast<std::uint64_t>(index));
    HttpClient http;
    auto& mine = records_[static_cast<std::size_t>(index)];
    const auto port = [&](int node) { return cluster_.node(node).port(); };
    const auto answer = [&](const HttpResponse& res, int node) {
      return Answer{res.status, res.error_code(), node,
                    std::chrono::duration<double>(Clock::now() - options_.start).count()};
    };
    const auto running = [&] { return Clock::now() < options_.until && !interrupted_.load(); };
    // Sleeps, but not past the end of the run.
    const auto pause = [&](std::chrono::milliseconds d) {
      const auto until = std::min(Clock::now() + d, options_.until);
      while (Clock::now() < until && !interrupted_.load()) std::this_thread::sleep_for(std::min(d, 50ms));
    };

    for (int number = 1; running(); ++number) {
      const Choices c = draw(rng);
      OrderRecord r;
      r.client = index;
      r.number = number;
      r.key = fmt::format("chaos-{}-{}-{}", options_.seed, index, number);
      r.limit = c.limit;
      if (c.limit) {
        if (const double p = quoted_price(http, port(c.node)); p > 0) price_.store(p);
        r.body = fmt::format(R"({{"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"{:.3f}","limitPrice":"{:.6f}"}})",
                             c.amount, price_.load() * c.price_factor);
      } else {
        r.body = fmt::format(R"({{"inputToken":"SOL","outputToken":"USDC","amount":"{:.{}f}","slippage":0.05}})", c.amount,
                             c.big ? 1 : 3);
      }

      // The submit, until it is answered: an unanswered one may or may
      // not have made the order, and the key makes a resend the same one.
      int node = c.node;
      const auto give_up = Clock::now() + 60s;
      for (;;) {
        const auto res = http.request(port(node), "POST", "/api/orders/execute", r.body, {{"Idempotency-Key", r.key}});
        ++r.submits;
        r.submit = answer(res, node);
        r.id = acknowledged_id(res.status, res.body);
        if (!unanswered(res) || Clock::now() > give_up || interrupted_.load()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(150 * std::min(r.submits, 4)));
        node = 1 - node;
      }
      if (!r.acknowledged()) {
        ++counters_.unacknowledged;
        mine.push_back(std::move(r));
        continue;
      }
      ++counters_.acknowledged;
      const std::string path = "/api/orders/" + r.id;

      // A cancel or an amendment goes to `first` and, unanswered, to the
      // other node; both are idempotent, so a resend is harmless.
      const auto send = [&](const std::string& method, const std::string& body, int first) {
        Answer last;
        int to = first;
        for (int attempt = 0; attempt < 4; ++attempt) {
          const auto res = http.request(port(to), method, path, body);
          last = answer(res, to);
          if (!unanswered(res) || interrupted_.load()) break;
          std::this_thread::sleep_for(300ms);
          to = 1 - to;
        }
        return last;
      };
      if (c.amend) {
        pause(c.amend_after);
        const std::string amend = fmt::format(R"({{"limitPrice":"{:.6f}"}})", price_.load() * c.amend_factor);
        r.amends.push_back(send("PATCH", amend, c.amend_node));
        ++counters_.amends;
      }
      if (c.cancel) {
        // The delay is the race under test: the cancel meets the order
        // pending, routing, sent or done, on whichever node executes it.
        std::this_thread::sleep_for(c.cancel_after);
        r.cancels.push_back(send("DELETE", {}, 1 - node));
        ++counters_.cancels;
      }
      mine.push_back(std::move(r));
      pause(c.think);
    }
  } catch (const std::exception& e) {
    errors_[static_cast<std::size_t>(index)] = fmt::format("client {}: {}", index, e.what());
  }
}

}  // namespace oee::chaos
