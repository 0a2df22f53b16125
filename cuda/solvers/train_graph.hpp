#pragma once
// The GPU training iteration as a CUDA graph: small nets are bound by kernel launch
// overhead, and a graph launches a whole iteration (param diffs zeroed, forward of
// the layers after the data layers, backward, the update) at once.
//
// Each iteration: the data layers (plan.first_layer before) run eagerly; the rest is
// reshaped on the host and fingerprinted (shapes and device addresses of every blob,
// parameter and history, and the GPU workspace). After kWarmup eager iterations with
// the same fingerprint the iteration is captured once (thread-local capture mode, so
// a stray host sync or allocation fails the capture instead of corrupting it) and
// then replayed: the per-iteration scalars (rate, Adam's correction, Dropout keys) go
// to the device by the graph's first node, and the loss, the clip norm and the loss
// layers' error codes come back by its last (page-locked host memory), so a replay is
// one launch and one sync on the host. A changed fingerprint
// drops the graph and warms up again. Any failure to capture, instantiate or launch
// logs one warning and leaves this solver eager for good.
#include <memory>
#include <string>
#include <vector>

#include "layers/graph_slots.hpp"
#include "solvers/cuda_graph_plan.hpp"

struct CUgraphExec_st;  // cudaGraphExec_t, without the CUDA headers

namespace cortado {

class Net;
class UpdateRule;

namespace gpu {

class TrainGraph {
 public:
  static constexpr int kWarmup = 2;

  TrainGraph(Net& net, UpdateRule& rule, CudaGraphPlan plan);
  ~TrainGraph();
  TrainGraph(const TrainGraph&) = delete;
  TrainGraph& operator=(const TrainGraph&) = delete;

  // One training iteration at `rate` (update number `iter`): zeroes the param diffs,
  // forward, backward and, when the loss is finite and no layer raised an error, the
  // update (held back on the device in a replay: DiffPrep::hold). Returns the loss
  // (Net::forward's). Loss layers' errors are thrown as in eager mode.
  float iterate(float rate, int iter);

  bool replaying() const { return exec_ != nullptr; }
  bool disabled() const { return disabled_; }
  int captures() const { return captures_; }
  // Tests: makes the next capture fail as a CUDA error would (fail-safe check).
  void fail_next_capture_for_test() { fail_next_capture_ = true; }

 private:
  float eager(float rate, int iter);
  bool capture(int iter);
  float replay(float rate, int iter);
  std::vector<const void*> fingerprint();
  void set_capture_mode(bool on);
  void drop_graph();
  void disable(const std::string& why);

  Net& net_;
  UpdateRule& rule_;
  CudaGraphPlan plan_;
  int layers_ = 0;
  std::vector<GraphSlots> slots_;
  // Per net blob: whether the graph may touch its diff (not so for the data layers' tops,
  // unless a captured layer backpropagates into them), so no diff is allocated in vain.
  std::vector<bool> blob_diffs_;
  // Device: [out: loss, clip scale, clip norm, errors per layer][in: rate factor, pad,
  // keys per layer][scratch: layer loss, update hold][clip scratch]; host mirrors
  // (page-locked).
  char* device_ = nullptr;
  char* host_ = nullptr;
  size_t out_bytes_ = 0, in_offset_ = 0, in_bytes_ = 0, bytes_ = 0, hold_offset_ = 0;
  ::CUgraphExec_st* exec_ = nullptr;
  std::vector<const void*> fingerprint_;
  int warm_ = 0;
  int captures_ = 0;
  bool disabled_ = false;
  bool fail_next_capture_ = false;
};

}  // namespace gpu
}  // namespace cortado
