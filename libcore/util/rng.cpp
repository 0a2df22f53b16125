#include "util/rng.hpp"

#include <sstream>

#include "util/error.hpp"

namespace cortado {

namespace {
std::mt19937 make_unseeded() {
  std::random_device dev;
  std::seed_seq seq{dev(), dev(), dev(), dev()};
  return std::mt19937(seq);
}
}  // namespace

std::mt19937& global_rng() {
  static std::mt19937 rng = make_unseeded();
  return rng;
}

void seed_global_rng(uint64_t seed) {
  // A 32-bit seed seeds exactly as std::mt19937(seed) would, so the stream can be
  // reproduced elsewhere; wider seeds keep all their bits through a seed_seq.
  if (seed <= 0xffffffffULL) {
    global_rng().seed(static_cast<std::mt19937::result_type>(seed));
  } else {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    global_rng().seed(seq);
  }
}

std::string save_global_rng_state() {
  std::ostringstream out;
  out << global_rng();
  return out.str();
}

void restore_global_rng_state(const std::string& state) {
  std::istringstream in(state);
  std::mt19937 restored;
  in >> restored;
  if (in.fail()) throw Error("random generator state", "is not a saved std::mt19937 state");
  global_rng() = restored;
}

}  // namespace cortado
