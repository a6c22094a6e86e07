// The owner's side of forwards (forward_wire.h): another node's write is
// judged here, queued to the appender, which stores it in its batches
// (partition_appends.cpp), and answered how it went. The asking side:
// forwarder.cpp.
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/forward_wire.h"
#include "eventlog/jetstream/detail/partition_log_impl.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

using namespace std::chrono_literals;

using namespace forward_wire;

namespace {

std::string forward_answer(const Result<AppendOutcome>& outcome) {
  if (outcome) {
    if (outcome->existing) return fmt::format("{}{}", kExisting, outcome->existing->fingerprint);
    return fmt::format("{}{}", kLanded, outcome->seq.value);
  }
  const auto& e = outcome.error();
  if (e == JsErrc::conflict) return std::string(kConflict);
  if (e == JsErrc::refused) return std::string(kRefused);
  if (e == JsErrc::fenced || e == Errc::closed || e == Errc::unavailable) return std::string(kUnsent);
  return std::string(kUnknown);
}

}  // namespace

void JetStreamPartitionLog::append_here(Queued& q) {
  {
    std::lock_guard lock(queue_mu_);
    if (!closing_) {
      queue_.push_back(std::move(q));
      queue_cv_.notify_one();
      return;
    }
  }
  q.done(make_error_code(Errc::closed));
}

void JetStreamPartitionLog::forward(Queued& q) {
  if (!forwarder_->send(q)) q.done(make_error_code(Errc::closed));
}

void JetStreamPartitionLog::wait_for_order_past(const OrderId& order, Seq basis, Clock::time_point deadline) const {
  for (;;) {
    auto seqs = order_seqs(order);
    if (!seqs || (!seqs->empty() && seqs->back() > basis) || Clock::now() >= deadline) return;
    (void)wait_beyond(head(), std::min<std::chrono::milliseconds>(kOwnerPoll, left(deadline)));
  }
}

void JetStreamPartitionLog::serve_other_nodes(bool on) {
  std::unique_ptr<Service> forwards, reads;
  std::lock_guard lock(services_mu_);
  if (!on) {
    // Destroyed here: once this returns, no request is being served.
    forwards = std::move(forward_service_);
    reads = std::move(read_service_);
    return;
  }
  try {
    // Queue groups: were a node that lost the partition still serving
    // (paused), one of the two takes each request, never both.
    if (!forward_service_)
      forward_service_ = connection_.serve(forward_subject(options_.partition), "owner",
                                           [this](Request request) { on_forwarded(std::move(request)); });
    if (!read_service_)
      read_service_ = connection_.serve(read_subject(options_.partition), "owner",
                                        [this](Request request) { on_read(std::move(request)); });
  } catch (const std::exception& e) {
    // Other nodes' writes and reads then wait for an owner that serves them.
    spdlog::warn("partition {}: cannot serve other nodes: {}", options_.partition, e.what());
  }
}

// A forward is judged here, by the owner: the NATS credentials let anyone
// ask, so the request proves nothing about what it carries.
void JetStreamPartitionLog::on_forwarded(Request request) {
  const std::string request_id(request.header("Oee-Request"));
  const bool begins = request.header("Oee-Begins") == "1";
  const auto basis_text = request.header("Oee-Basis");
  std::uint64_t basis = 0;
  const bool basis_ok =
      begins ? basis_text.empty()
             : std::from_chars(basis_text.data(), basis_text.data() + basis_text.size(), basis).ptr ==
                       basis_text.data() + basis_text.size() && !basis_text.empty();
  auto sets = parse_sets(request.header("Oee-Sets"));
  auto record = decode_record(request.data);
  std::string why;
  if (request.reply.empty()) {
    why = "it awaits no answer";
  } else if (request_id.empty() || !basis_ok || !sets) {
    why = "it is not a write to this partition's orders";
  } else if (!record) {
    why = "it does not decode: " + record.error().message();
  } else if (is_log_own_type(record->type)) {
    why = "it is one of the log's own events";
  } else if (options_.check_forwarded) {
    why = options_.check_forwarded(*record, begins);
  }
  if (!why.empty()) {
    if (const auto say = refused_forwards_.count())
      spdlog::warn("partition {}: refused {} event{} forwarded on {}, the last because {}", options_.partition, say,
                   say == 1 ? "" : "s", request.subject, why);
    if (!request.reply.empty()) (void)connection_.respond(request.reply, fmt::format("{}: {}", kRefused, why));
    return;
  }
  Queued q;
  q.command.order = record->order;
  q.command.ts = record->ts;
  q.command.type = record->type;
  q.command.payload = std::move(record->payload);
  q.command.begins = begins;
  q.command.set_membership = std::move(*sets);
  if (const auto fingerprint = request.header("Oee-Fingerprint"); begins && !fingerprint.empty())
    q.command.idempotency = IdempotencyClaim{{}, std::string(fingerprint)};
  q.basis = Seq{basis};
  q.request = request_id;
  q.forwarded = true;
  q.sent_before = request.header("Oee-Retry") == "1";
  q.done = [this, reply = request.reply](const Result<AppendOutcome>& outcome) {
    (void)connection_.respond(reply, forward_answer(outcome));
  };
  {
    std::lock_guard lock(own_mu_);
    if (!owned_) {
      (void)connection_.respond(request.reply, kUnsent);
      return;
    }
    q.ownership = ownership_;
  }
  append_here(q);  // closing: answered unsent
}

}  // namespace oee::eventlog::jetstream::detail
