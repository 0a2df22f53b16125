#pragma once
// The solver's whole-array operations on parameter gradients, on the device:
// zeroing before a pass, scaling (clip_gradients on frozen parameters), and the
// sums of squares behind clip_gradients' global L2 norm.
#include <utility>
#include <vector>

namespace cortado::gpu {

// x[0, n) = 0, queued on the context's stream.
void set_zero(int n, float* x);
// x[0, n) *= s.
void scale(int n, float* x, float s);
// For each (device array, count): the sum of its squares, accumulated in double
// as the CPU's Blob::sumsq_diff, in a fixed order (the same inputs give the same
// bits every run). Waits for the stream once to read all the sums back.
std::vector<double> sums_of_squares(const std::vector<std::pair<const float*, int>>& arrays);

}  // namespace cortado::gpu
