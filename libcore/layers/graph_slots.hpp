#pragma once
// Where a layer writes, in CUDA graph mode, what eager mode computes or checks on
// the host. A replayed graph cannot run host code, so while the solver captures a
// training iteration (cuda/solvers/train_graph.hpp) each captured layer gets these
// device addresses; the solver reads them back after every replay.
#include <cstdint>

namespace cortado {

struct GraphSlots {
  float* loss = nullptr;        // the net's summed weighted loss (zeroed at the graph's start)
  float* layer_loss = nullptr;  // scratch: this layer's sum over its loss tops
  // This layer's error: error[0] its code, 0 for none (e.g. a bad label's position + 1),
  // error[1] a value the message needs (the label): by the time the host reads them,
  // the blobs may already hold the next iteration's batch.
  int* error = nullptr;
  const uint64_t* key = nullptr;  // this layer's random key, written before each replay
};

}  // namespace cortado
