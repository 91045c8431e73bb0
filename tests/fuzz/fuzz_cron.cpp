// Fuzz target: a cron expression (a model's `cron`, model_defaults.cron, a pipeline's
// schedule), parsed by Cron::Parse; a parsed cron is then asked for ticks around
// instants across the years it supports. Errors are expected; what base/cron.h
// promises is checked: ticks fall on whole minutes, Next is strictly after, Floor at
// or before, Ceil at or after (and is either the instant or Next), and every call
// returns (a hang is reported by libFuzzer's -timeout).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/cron.h"
#include "fuzz_support.h"

namespace {

constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMsPerDay = 86'400'000;

bool OnWholeMinute(int64_t ms) {
  return ms % kMsPerMinute == 0;  // C++ keeps the sign: -60000 % 60000 == 0, -1 % 60000 != 0
}

void CheckAround(const materia::Cron& cron, int64_t instant) {
  using materia::Cron;
  using materia::fuzz::FuzzCheck;
  const int64_t next = cron.Next(instant);
  if (next != Cron::kNoNextTick) {
    FuzzCheck(next > instant, "Next is strictly after the instant");
    FuzzCheck(OnWholeMinute(next), "Next falls on a whole minute");
    FuzzCheck(cron.Floor(next) == next, "Floor of a tick is the tick");
    FuzzCheck(cron.Ceil(next) == next, "Ceil of a tick is the tick");
  }
  const int64_t floor = cron.Floor(instant);
  if (floor != Cron::kNoPreviousTick) {
    FuzzCheck(floor <= instant, "Floor is at or before the instant");
    FuzzCheck(OnWholeMinute(floor), "Floor falls on a whole minute");
    FuzzCheck(cron.Next(floor) > instant, "no tick lies between Floor and the instant");
  }
  const int64_t ceil = cron.Ceil(instant);
  FuzzCheck(ceil == instant || ceil == next, "Ceil is the instant itself or Next");
  const int64_t ticks = cron.CountTicks(instant, instant + 3 * kMsPerDay, 10'000);
  FuzzCheck(ticks >= 0, "CountTicks is not negative");
  if (next == Cron::kNoNextTick || next >= instant + 3 * kMsPerDay) {
    FuzzCheck(ticks <= 1, "no tick after the instant within the range: at most the instant itself");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  Result<Cron> cron = Cron::Parse(fuzz::InputText(data, size));
  if (!cron.ok()) {
    fuzz::FuzzCheck(!cron.status().message().empty(), "an error has a message");
    return 0;
  }
  // 0000-01-01, 1969-12-31 23:59:59.999, the epoch, 2024-02-29 12:34:56.789,
  // 2100-02-28, 9999-12-29 (whose three days run past the year 9999).
  const int64_t instants[] = {-62167219200000, -1, 0, 1709210096789, 4107456000000,
                              253402041600000};
  for (int64_t instant : instants) CheckAround(cron.value(), instant);
  return 0;
}
