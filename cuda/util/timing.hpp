#pragma once
// Timing a way of computing something on the device, to choose the fastest of several
// at a shape (convolutions, small GEMMs): the fastest of three runs after an untimed
// one, in ms, by events on the context's stream. Synchronises, so only outside a
// capture (the choice is made in a step run eagerly first). On the emulator times mean
// nothing: there each way runs once, untimed runs left out.
#include <functional>

namespace cortado::gpu {

float time_ms(const std::function<void()>& run);

}  // namespace cortado::gpu
