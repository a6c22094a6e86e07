#include "core/wire/sim_record.h"

#include <flatbuffers/flatbuffers.h>

#include "schemas/sim_events_generated.h"

namespace oee::core {

eventlog::AppendCommand simulation_started_command(const SimulationStarted& s) {
  flatbuffers::FlatBufferBuilder fbb(128);
  fbb.Finish(fb::CreateSimulationStartedDirect(fbb, s.seed, s.seed_given, s.clock.c_str(), s.profile.c_str(),
                                               s.fail_rate_ppm, s.clock_start.value));
  eventlog::AppendCommand command;
  command.order = OrderId::random();
  command.type = kSimulationStartedType;
  command.payload.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  command.begins = true;
  command.finishes = true;
  return command;
}

std::optional<SimulationStarted> decode_simulation_started(const eventlog::Record& record) {
  if (record.type != kSimulationStartedType) return std::nullopt;
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(record.payload.data()), record.payload.size());
  if (!fb::VerifySimulationStartedBuffer(verifier)) return std::nullopt;
  const auto* fb = fb::GetSimulationStarted(record.payload.data());
  SimulationStarted s;
  s.seed = fb->seed();
  s.seed_given = fb->seed_given();
  s.clock = fb->clock() != nullptr ? fb->clock()->str() : "";
  s.profile = fb->profile() != nullptr ? fb->profile()->str() : "";
  s.fail_rate_ppm = fb->fail_rate_ppm();
  s.clock_start = TimestampNs{fb->clock_start_ns()};
  return s;
}

}  // namespace oee::core
