#pragma once
// The GPU training iteration as a CUDA graph: small nets are bound by kernel launch
// overhead, and a graph launches a whole iteration (param diffs zeroed, forward of
// the layers after the data layers, backward, the update) at once.
//
// Each iteration: the data layers (plan.first_layer before) run eagerly; the rest is
// reshaped on the host and fingerprinted (shapes and device addresses of every blob,
// parameter and history, and both streams' GPU workspaces). After kWarmup eager
// iterations with the same fingerprint the iteration is captured once (thread-local
// capture mode, so a stray host sync or allocation fails the capture instead of
// corrupting it) and then replayed. A changed fingerprint drops the graph and warms up
// again. Any failure to capture, instantiate or launch logs one warning and leaves
// this solver eager for good; but where the graph had chained kernel launches
// (cuda/util/chained.cuh), it is first captured once more with plain ones.
//
// A replay is queued, not waited for (no host round trip on the step's path): the
// per-iteration scalars (rate, Adam's correction, Dropout keys) go up from one of two
// page-locked buffers, the graph runs, and the loss, the clip norm and the loss
// layers' errors come back into the same buffer's results, with an event. The solver
// starts iteration i + 1 (its data layers' work and the next launch queue behind
// iteration i) before it collects iteration i, so the host's part of a step overlaps
// the GPU's. Eager mode stops before an update after a non-finite loss or a layer's
// error; a replay cannot, so its update is held on the device (DiffPrep::hold), and
// the hold stays set for the iterations queued behind it until the host collects the
// failure: the weights are then those eager mode would leave.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "layers/graph_slots.hpp"
#include "solvers/cuda_graph_plan.hpp"

struct CUgraphExec_st;  // cudaGraphExec_t, without the CUDA headers
struct CUevent_st;      // cudaEvent_t

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

  struct Result {
    int iter;
    float loss;  // Net::forward's
  };

  // Starts training iteration `iter` at `rate`: zeroes the param diffs, forward,
  // backward and, when the loss is finite and no layer raised an error, the update.
  // A replay is only queued; eager and captured iterations finish here. At most one
  // started iteration may be left uncollected when the next starts.
  void start(float rate, int iter);
  // Started iterations not yet collected.
  int started() const { return static_cast<int>(pending_.size()); }
  // The oldest started iteration's result, waiting for it. A loss layer's error is
  // thrown as in eager mode; after a non-finite loss or an error the iterations
  // queued behind it are dropped (their updates were held).
  Result collect();

  bool replaying() const { return exec_ != nullptr; }
  bool disabled() const { return disabled_; }
  int captures() const { return captures_; }
  // Whether the graph replayed now was captured with chained kernel launches.
  bool chained() const { return exec_ != nullptr && chained_; }
  // Nodes of the last captured graph (kernels, copies, library calls): what a replay
  // launches, so what bounds a small net's step.
  size_t nodes() const { return nodes_; }
  // Tests: makes the next capture fail as a CUDA error would (fail-safe check).
  void fail_next_capture_for_test() { fail_next_capture_ = true; }
  // Tests: makes the next replay's cudaGraphLaunch fail as a CUDA error would.
  void fail_next_launch_for_test() { fail_next_launch_ = true; }

 private:
  // An iteration started; buffer is the page-locked buffer a replay's results come
  // back to, or kDone (eager: loss known) or kSkipped (not run: one queued before it
  // failed).
  struct Pending {
    int iter;
    int buffer;
    float loss;
  };
  static constexpr int kDone = -1, kSkipped = -2;

  void release();
  void start_eager(float rate, int iter);
  bool capture(int iter);
  void replay(float rate, int iter);
  bool queued_replay_failed();
  bool failed(int buffer) const;
  void settle_after_failure();
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
  // Device: [out: loss, clip scale, clip norm, errors (2 words) per layer][in: rate
  // factor, pad, keys per layer][scratch: layer loss, update hold][clip scratch].
  // Host (page-locked): two buffers of [out][in], used by turns.
  char* device_ = nullptr;
  char* host_ = nullptr;
  size_t out_bytes_ = 0, in_offset_ = 0, in_bytes_ = 0, bytes_ = 0, hold_offset_ = 0;
  size_t host_buffer_bytes_ = 0;
  ::CUevent_st* done_[2] = {nullptr, nullptr};  // a buffer's results are back
  int next_buffer_ = 0;
  std::deque<Pending> pending_;
  ::CUgraphExec_st* exec_ = nullptr;
  std::vector<const void*> fingerprint_;
  int warm_ = 0;
  int captures_ = 0;
  size_t nodes_ = 0;
  bool disabled_ = false;
  bool chained_ = false;        // the graph's launches were chained
  bool plain_capture_ = false;  // a capture or launch failed with chained launches
  bool fail_next_capture_ = false;
  bool fail_next_launch_ = false;
};

}  // namespace gpu
}  // namespace cortado
