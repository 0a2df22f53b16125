#pragma once
// A bad label's report in CUDA graph mode (libcore/layers/graph_slots.hpp), written by
// the kernel that found it, since the host cannot look during a replay: error[0] = the
// first bad position + 1 (0: none), error[1] = the label there, which the solver hands
// to the layer's raise_graph_error after the replay.
#include <climits>

namespace cortado::gpu {

// `bad`: the first bad position, INT_MAX if none.
__device__ inline void report_bad_label(int bad, const float* labels, int* error) {
  error[0] = bad == INT_MAX ? 0 : bad + 1;
  error[1] = bad == INT_MAX ? 0 : static_cast<int>(labels[bad]);
}

}  // namespace cortado::gpu
