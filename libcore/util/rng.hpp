#pragma once
// The per-process random generator, Caffe's Caffe::rng_stream(): fillers and Dropout
// draw from it. The solver seeds it from random_seed and stores its state in the
// solverstate, so that a resumed run draws exactly the numbers the uninterrupted run
// would have drawn. Not thread-safe: threads with their own randomness (the Data
// layer's prefetch) own their own generator.
#include <cstdint>
#include <random>
#include <string>

namespace cortado {

// Never seeded explicitly, it starts from std::random_device, as Caffe does when
// random_seed is negative.
std::mt19937& global_rng();
void seed_global_rng(uint64_t seed);

// The full generator state as text (std::mt19937's own stream format).
std::string save_global_rng_state();
// A malformed state is an Error and leaves the generator unchanged.
void restore_global_rng_state(const std::string& state);

}  // namespace cortado
