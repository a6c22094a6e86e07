#pragma once
// The run's random choices. std::mt19937_64's sequence is fixed by the
// standard but the distributions' are not, so the draws are made here:
// the same seed gives the same choices with any standard library.

#include <cstdint>
#include <random>

namespace oee::chaos {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  /// A stream of its own for `stream` (a client's index): the seed's
  /// streams do not overlap in practice and do not depend on each other.
  Rng(std::uint64_t seed, std::uint64_t stream) : engine_(seed ^ (0x9e3779b97f4a7c15ULL * (stream + 1))) {}

  /// In [0, 1).
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// In [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  /// In [0, n).
  int below(int n) { return static_cast<int>(unit() * n); }
  bool chance(double p) { return unit() < p; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace oee::chaos
