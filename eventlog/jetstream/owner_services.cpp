#include "eventlog/jetstream/detail/owner_services.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eventlog/jetstream/detail/append_support.h"
#include "eventlog/jetstream/detail/forward_wire.h"
#include "eventlog/jetstream/errors.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/partition_id_format.h"
#include "eventlog/record_codec.h"

namespace oee::eventlog::jetstream::detail {

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

OwnerServices::OwnerServices(Connection& connection, PartitionId partition, CheckForwarded check, Owner& owner)
    : connection_(connection), partition_(partition), check_(std::move(check)), owner_(owner) {}

void OwnerServices::start() {
  std::lock_guard lock(mu_);
  if (closed_) return;
  try {
    // Queue groups: were a node that lost the partition still serving
    // (paused), one of the two takes each request, never both.
    if (!forwards_)
      forwards_ = connection_.serve(forward_subject(partition_), "owner",
                                    [this](Request request) { on_forwarded(std::move(request)); });
    if (!reads_)
      reads_ = connection_.serve(read_subject(partition_), "owner", [this](Request request) { on_read(request); });
  } catch (const std::exception& e) {
    spdlog::warn("partition {}: cannot serve other nodes: {}", partition_, e.what());
  }
}

void OwnerServices::stop() {
  std::lock_guard lock(mu_);
  // Destroyed before the lock is let go: once this returns, no request is
  // being served, even if another stop() came first.
  const auto forwards = std::move(forwards_);
  const auto reads = std::move(reads_);
}

void OwnerServices::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  stop();
}

void OwnerServices::on_read(const Request& request) {
  if (request.reply.empty()) return;
  answered_reads_.fetch_add(1, std::memory_order_relaxed);
  (void)connection_.respond(request.reply, owner_.read_answer(request));
}

// A forward is judged here, by the owner: the NATS credentials let anyone
// ask, so the request proves nothing about what it carries.
void OwnerServices::on_forwarded(Request request) {
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
  } else if (check_) {
    why = check_(*record, begins);
  }
  if (!why.empty()) {
    if (const auto say = refused_.count())
      spdlog::warn("partition {}: refused {} event{} forwarded on {}, the last because {}", partition_, say,
                   say == 1 ? "" : "s", request.subject, why);
    if (!request.reply.empty()) (void)connection_.respond(request.reply, fmt::format("{}: {}", kRefused, why));
    return;
  }
  QueuedWrite q;
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
  // Answered on the appender's thread, maybe after these services stopped:
  // it holds only the connection, which outlives the partition log.
  q.done = [&connection = connection_, reply = request.reply](const Result<AppendOutcome>& outcome) {
    (void)connection.respond(reply, forward_answer(outcome));
  };
  owner_.store_forwarded(q);
}

}  // namespace oee::eventlog::jetstream::detail
