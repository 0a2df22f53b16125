#pragma once
// The solver's whole-array operations on parameter gradients, on the device:
// zeroing before a pass, scaling (clip_gradients on frozen parameters), and the
// sums of squares behind clip_gradients' global L2 norm.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace cortado::gpu {

// x[0, n) = 0, queued on the context's stream.
void set_zero(int n, float* x);
// Every array zeroed by one launch (per 128 arrays): a net's param diffs before a pass.
struct DeviceArray {
  float* data;
  int64_t count;
};
void set_zero(const std::vector<DeviceArray>& arrays);
// x[0, n) *= s.
void scale(int n, float* x, float s);
// For each (device array, count): the sum of its squares, accumulated in double
// as the CPU's Blob::sumsq_diff, in a fixed order (the same inputs give the same
// bits every run). Waits for the stream once to read all the sums back.
std::vector<double> sums_of_squares(const std::vector<std::pair<const float*, int>>& arrays);

// CUDA graph mode (no read back): x[0, n) *= *s, s on the device.
void scale_by_device(int n, float* x, const float* s);
// Device scratch that clip_scale_on_device needs for arrays of these counts.
size_t clip_scratch_bytes(const std::vector<int>& counts);
// clip_gradients on the device: the sums of squares as sums_of_squares, each rounded to
// float and added in order as UpdateRule::clip_gradients does, then out[0] = the scale
// (clip / norm when norm > clip, else 1) and out[1] = norm. `scratch` holds
// clip_scratch_bytes for the arrays' counts. Queues work only (graph-capturable).
void clip_scale_on_device(const std::vector<std::pair<const float*, int>>& arrays, float clip,
                          void* scratch, float* out);

}  // namespace cortado::gpu
