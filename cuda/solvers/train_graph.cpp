#include "cuda/solvers/train_graph.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "cuda/util/chained.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/side_work.hpp"
#include "net/net.hpp"
#include "solvers/update_rule.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado::gpu {
namespace {

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// The out region's fixed words before the per-layer errors (code, value).
constexpr size_t kLossWord = 0, kClipWord = 1, kErrorWords = 3;

// With CORTADO_GRAPH_DOT=prefix each captured step is also written to prefix.N.dot
// (N counting the captures of the process) by cudaGraphDebugDotPrint, every node with
// its kernel's name: where a step's nodes come from, the libraries' ones included.
void write_dot(cudaGraph_t graph) {
  const char* prefix = std::getenv("CORTADO_GRAPH_DOT");
  if (!prefix || !*prefix) return;
  static int written = 0;
  const std::string path = std::string(prefix) + "." + std::to_string(written++) + ".dot";
  if (cudaGraphDebugDotPrint(graph, path.c_str(), cudaGraphDebugDotFlagsKernelNodeParams) ==
      cudaSuccess) {
    LOG_INFO("CUDA graph: the captured step written to {}", path);
  } else {
    cudaGetLastError();  // only reported
    LOG_WARN("CUDA graph: could not write the captured step to {}", path);
  }
}

}  // namespace

TrainGraph::TrainGraph(Net& net, UpdateRule& rule, CudaGraphPlan plan)
    : net_(net), rule_(rule), plan_(std::move(plan)) {
  layers_ = static_cast<int>(net_.layers().size());
  CORTADO_ASSERT(plan_.capturable && plan_.first_layer < layers_);
  out_bytes_ = align_up((kErrorWords + 2 * static_cast<size_t>(layers_)) * 4, 8);
  in_offset_ = out_bytes_;
  in_bytes_ = 8 + 8 * static_cast<size_t>(layers_);
  const size_t scratch = align_up(in_offset_ + in_bytes_, 256);
  hold_offset_ = scratch + 64;  // after the layer-loss word
  const size_t clip = scratch + 256;
  bytes_ = clip + align_up(rule_.clip_scratch_bytes(), 256);
  host_buffer_bytes_ = align_up(in_offset_ + in_bytes_, 64);
  // On a throw below, what was made is freed (the destructor does not run then).
  struct Cleanup {
    TrainGraph* g;
    ~Cleanup() {
      if (g) g->release();
    }
  } cleanup{this};
  device_ = static_cast<char*>(device_malloc(bytes_));
  check(cudaMemset(device_, 0, bytes_), "cudaMemset");
  void* pinned = nullptr;
  check(cudaMallocHost(&pinned, 2 * host_buffer_bytes_), "cudaMallocHost (CUDA graph scalars)");
  host_ = static_cast<char*>(pinned);
  std::memset(host_, 0, 2 * host_buffer_bytes_);
  for (cudaEvent_t& e : done_)
    check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  cleanup.g = nullptr;
  float* out = reinterpret_cast<float*>(device_);
  int* errors = reinterpret_cast<int*>(device_) + kErrorWords;
  const uint64_t* keys = reinterpret_cast<const uint64_t*>(device_ + in_offset_ + 8);
  const auto& blobs = net_.blobs();
  blob_diffs_.assign(blobs.size(), true);
  for (size_t b = 0; b < blobs.size(); ++b) {
    bool from_prefix = false, gets_diff = false;
    for (int i = 0; i < layers_; ++i) {
      const BlobVec& bottoms = net_.bottom_vecs()[i];
      const BlobVec& tops = net_.top_vecs()[i];
      for (size_t k = 0; k < tops.size(); ++k)
        if (i < plan_.first_layer && tops[k] == blobs[b].get()) from_prefix = true;
      for (size_t k = 0; k < bottoms.size(); ++k)
        if (i >= plan_.first_layer && bottoms[k] == blobs[b].get() &&
            net_.bottom_need_backward()[i][k])
          gets_diff = true;
    }
    blob_diffs_[b] = !from_prefix || gets_diff;
  }
  slots_.resize(layers_);
  for (int i = 0; i < layers_; ++i) {
    slots_[i].loss = out + kLossWord;
    slots_[i].layer_loss = reinterpret_cast<float*>(device_ + scratch);
    slots_[i].error = errors + 2 * i;
    slots_[i].key = keys + i;
  }
}

TrainGraph::~TrainGraph() { release(); }

// Never throws: runs at exit too, when CUDA may be tearing down. Queued replays
// finish first (they use all of this).
void TrainGraph::release() {
  if (!pending_.empty() && cudaStreamSynchronize(Context::get().stream()) != cudaSuccess)
    cudaGetLastError();
  pending_.clear();
  drop_graph();
  for (cudaEvent_t& e : done_) {
    if (e && cudaEventDestroy(e) != cudaSuccess) cudaGetLastError();
    e = nullptr;
  }
  if (host_ && cudaFreeHost(host_) != cudaSuccess) cudaGetLastError();
  if (device_ && cudaFree(device_) != cudaSuccess) cudaGetLastError();
  host_ = nullptr;
  device_ = nullptr;
}

void TrainGraph::drop_graph() {
  if (exec_ && cudaGraphExecDestroy(exec_) != cudaSuccess) cudaGetLastError();
  exec_ = nullptr;
}

void TrainGraph::disable(const std::string& why) {
  drop_graph();
  disabled_ = true;
  LOG_WARN("CUDA graph: {}; training continues without graphs (eager launches)", why);
}

void TrainGraph::set_capture_mode(bool on) {
  const auto& layers = net_.layers();
  for (int i = plan_.first_layer; i < layers_; ++i)
    layers[i]->set_graph_slots(on ? &slots_[i] : nullptr);
  UpdateRule::GraphScalars scalars;
  if (on) {
    scalars.rate = reinterpret_cast<const float*>(device_ + in_offset_);
    scalars.clip = reinterpret_cast<float*>(device_) + kClipWord;
    scalars.scratch = device_ + bytes_ - align_up(rule_.clip_scratch_bytes(), 256);
    scalars.hold = reinterpret_cast<int*>(device_ + hold_offset_);
    scalars.loss = reinterpret_cast<const float*>(device_) + kLossWord;
    scalars.errors = reinterpret_cast<const int*>(device_) + kErrorWords;
    scalars.layers = layers_;
  }
  rule_.set_graph_scalars(scalars);
}

// Shapes and device addresses of everything the graph reads or writes. Asking for
// the device pointers also makes the device copies current (a host-side edit since
// the last iteration is copied over now, before the replay reads it) and the heads
// device-side (so host reads after the replay fetch the replay's results).
std::vector<const void*> TrainGraph::fingerprint() {
  std::vector<const void*> fp;
  auto add = [&fp](Blob& b, bool diff) {
    fp.push_back(reinterpret_cast<const void*>(static_cast<uintptr_t>(b.num_axes())));
    for (int d : b.shape()) fp.push_back(reinterpret_cast<const void*>(static_cast<uintptr_t>(d)));
    if (b.count() == 0) return;
    fp.push_back(b.mutable_gpu_data());
    if (diff) fp.push_back(b.mutable_gpu_diff());
  };
  const auto& blobs = net_.blobs();
  for (size_t b = 0; b < blobs.size(); ++b) add(*blobs[b], blob_diffs_[b]);
  for (const auto& p : net_.params()) add(*p, true);
  for (const auto& h : rule_.history()) add(*h, false);
  for (const void* w : Context::get().workspaces()) fp.push_back(w);
  return fp;
}

void TrainGraph::start(float rate, int iter) {
  CORTADO_ASSERT(pending_.size() < 2);  // a replay's buffer is free again once collected
  const int first = plan_.first_layer;
  if (first > 0) net_.forward_from_to(0, first - 1);  // the data layers (no loss: see the plan)
  if (disabled_) return start_eager(rate, iter);
  const auto& layers = net_.layers();
  for (int i = first; i < layers_; ++i)
    layers[i]->reshape(net_.bottom_vecs()[i], net_.top_vecs()[i]);
  std::vector<const void*> fp = fingerprint();
  if (fp != fingerprint_) {
    if (exec_) {
      LOG_INFO(
          "CUDA graph: blob shapes or buffers changed; capturing again after {} eager iterations",
          kWarmup);
      drop_graph();
    }
    warm_ = 0;
    fingerprint_ = std::move(fp);
  }
  if (!exec_ && warm_ >= kWarmup && !capture(iter)) return start_eager(rate, iter);
  if (exec_) return replay(rate, iter);
  ++warm_;
  start_eager(rate, iter);
}

// The iteration as Solver::run_iteration runs it without graphs (the data layers done).
void TrainGraph::start_eager(float rate, int iter) {
  // Eager mode updates unless this iteration fails; a replay still queued may have
  // failed, and then eager mode would have stopped before this iteration.
  if (queued_replay_failed()) {
    pending_.push_back({iter, kSkipped, 0.f});
    return;
  }
  net_.clear_param_diffs();
  const float loss = net_.forward_from_to(plan_.first_layer, layers_ - 1);
  net_.backward();
  if (std::isfinite(loss)) rule_.apply(rate, iter);  // else the solver stops with an Error
  pending_.push_back({iter, kDone, loss});
}

bool TrainGraph::capture(int iter) {
  const PlainLaunches plain(plain_capture_);
  cudaStream_t stream = Context::get().stream();
  std::string why;
  cudaGraph_t graph = nullptr;
  // Side work still queued from before would be an outside event to the capture.
  join_side_work();
  set_capture_mode(true);
  // Thread-local: this thread's unsafe calls (a sync, an allocation) fail the capture;
  // the data threads' own streams and calls are left alone.
  cudaError_t status = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
  if (status != cudaSuccess) {
    why = std::string("cudaStreamBeginCapture: ") + cudaGetErrorString(status);
  } else {
    try {
      if (fail_next_capture_) {
        fail_next_capture_ = false;
        throw Error("CUDA graph", "capture failure forced by a test");
      }
      // The scalars come in and the results go out beside the graph (replay()): each
      // replay uses one of two host buffers, by turns.
      // The result words are zeroed with the diffs: a node less.
      net_.clear_param_diffs(device_, out_bytes_ / 4);
      net_.forward_from_to(plan_.first_layer, layers_ - 1);
      net_.backward_from_to(layers_ - 1, plan_.first_layer);
      // The rate is read on the device. Eager mode stops before updating on a non-finite
      // loss or a layer's error: the replay's update kernels hold back then
      // (UpdateRule::GraphScalars).
      rule_.apply(1.f, iter);
    } catch (const std::exception& e) {
      why = e.what();
    }
    // Always ends the capture, also after an error, so the stream is usable again.
    const cudaError_t end = cudaStreamEndCapture(stream, &graph);
    if (why.empty() && end != cudaSuccess)
      why = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(end);
  }
  set_capture_mode(false);
  if (why.empty() && cudaGraphGetNodes(graph, nullptr, &nodes_) != cudaSuccess) {
    cudaGetLastError();  // only reported
    nodes_ = 0;
  }
  if (why.empty()) write_dot(graph);
  if (why.empty()) {
    cudaGraphExec_t exec = nullptr;
    // Auto-free: a library's allocation made during the capture (cuBLAS's workspace
    // through cudaMallocAsync) must not block the next launch.
    status = cudaGraphInstantiateWithFlags(&exec, graph, cudaGraphInstantiateFlagAutoFreeOnLaunch);
    if (status == cudaSuccess)
      exec_ = exec;
    else
      why = std::string("cudaGraphInstantiateWithFlags: ") + cudaGetErrorString(status);
  }
  if (graph && cudaGraphDestroy(graph) != cudaSuccess) cudaGetLastError();
  if (!why.empty()) {
    cudaGetLastError();  // a capture error must not resurface at the next CUDA call
    if (!plain_capture_ && chained_launches()) {
      // Chained launches become programmatic edges in the graph, a recent feature of
      // CUDA's: where the capture fails with them, this step is captured again with
      // plain launches, rather than not at all.
      plain_capture_ = true;
      LOG_WARN(
          "CUDA graph: capturing with chained kernel launches failed ({}); capturing "
          "again with plain launches",
          why);
      return capture(iter);
    }
    disable("capturing the training iteration failed (" + why + ")");
    return false;
  }
  ++captures_;
  chained_ = chained_launches();
  LOG_INFO(
      "CUDA graph: training iteration captured (layers {} to {} and the update, {} launches): "
      "{} nodes",
      net_.layer_names()[plan_.first_layer], net_.layer_names()[layers_ - 1],
      chained_ ? "chained" : "plain", nodes_);
  return true;
}

void TrainGraph::replay(float rate, int iter) {
  cudaStream_t stream = Context::get().stream();
  const int buffer = next_buffer_;
  char* host = host_ + buffer * host_buffer_bytes_;
  const float factor = rule_.rate_factor(rate, iter);
  std::memcpy(host + in_offset_, &factor, sizeof factor);
  const auto& layers = net_.layers();
  uint64_t* keys = reinterpret_cast<uint64_t*>(host + in_offset_ + 8);
  for (int i = plan_.first_layer; i < layers_; ++i) layers[i]->before_replay(&keys[i]);
  check(cudaMemcpyAsync(device_ + in_offset_, host + in_offset_, in_bytes_, cudaMemcpyHostToDevice,
                        stream),
        "cudaMemcpyAsync (graph scalars to the GPU)");
  const cudaError_t launch =
      fail_next_launch_ ? cudaErrorInvalidValue : cudaGraphLaunch(exec_, stream);
  fail_next_launch_ = false;
  if (launch != cudaSuccess) {
    cudaGetLastError();
    if (chained_ && !plain_capture_) {  // as a failed capture: once more, plain
      plain_capture_ = true;
      drop_graph();
      LOG_WARN(
          "CUDA graph: launching the graph of chained kernel launches failed ({}); "
          "capturing again with plain launches",
          cudaGetErrorString(launch));
    } else {
      disable(std::string("cudaGraphLaunch: ") + cudaGetErrorString(launch));
    }
    for (int i = plan_.first_layer; i < layers_; ++i) layers[i]->replay_not_run();
    return start_eager(rate, iter);
  }
  check(cudaMemcpyAsync(host, device_, out_bytes_, cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync (graph results to the host)");
  check(cudaEventRecord(done_[buffer], stream), "cudaEventRecord");
  next_buffer_ = 1 - buffer;
  pending_.push_back({iter, buffer, 0.f});
}

// Whether a replay's results (back in `buffer`) show a failure: a layer's error or
// a non-finite loss.
bool TrainGraph::failed(int buffer) const {
  const char* host = host_ + buffer * host_buffer_bytes_;
  const int* errors = reinterpret_cast<const int*>(host) + kErrorWords;
  for (int i = plan_.first_layer; i < layers_; ++i)
    if (errors[2 * i] != 0) return true;
  float loss = 0;
  std::memcpy(&loss, host + kLossWord * 4, sizeof loss);
  return !std::isfinite(loss);
}

bool TrainGraph::queued_replay_failed() {
  bool queued = false;
  for (const Pending& p : pending_) queued = queued || p.buffer >= 0;
  if (!queued) return false;
  check(cudaStreamSynchronize(Context::get().stream()), "waiting for the training iteration");
  for (const Pending& p : pending_)
    if (p.buffer >= 0 && failed(p.buffer)) return true;
  return false;
}

// After collecting a failed replay: what was queued behind it is waited for and
// dropped (its updates held), and the device's hold is cleared for a later run.
void TrainGraph::settle_after_failure() {
  cudaStream_t stream = Context::get().stream();
  check(cudaStreamSynchronize(stream), "waiting for the training iteration");
  pending_.clear();
  check(cudaMemsetAsync(device_ + hold_offset_, 0, sizeof(int), stream), "cudaMemsetAsync");
}

TrainGraph::Result TrainGraph::collect() {
  CORTADO_ASSERT(!pending_.empty());
  const Pending p = pending_.front();
  pending_.pop_front();
  CORTADO_ASSERT(p.buffer != kSkipped);  // a failed replay before it drops it
  if (p.buffer == kDone) return {p.iter, p.loss};
  check(cudaEventSynchronize(done_[p.buffer]), "waiting for the training iteration");
  const char* host = host_ + p.buffer * host_buffer_bytes_;
  float loss = 0, clip[2] = {1.f, 0.f};
  std::memcpy(&loss, host + kLossWord * 4, sizeof loss);
  if (failed(p.buffer)) {
    settle_after_failure();
    // The first layer's error, as eager mode's forward throws it; else the non-finite
    // loss, which the solver reports.
    const int* errors = reinterpret_cast<const int*>(host) + kErrorWords;
    for (int i = plan_.first_layer; i < layers_; ++i)
      if (errors[2 * i] != 0) net_.layers()[i]->raise_graph_error(errors[2 * i], errors[2 * i + 1]);
    return {p.iter, loss};
  }
  std::memcpy(clip, host + kClipWord * 4, sizeof clip);
  rule_.log_clip(clip[1], clip[0]);  // logs only with clip_gradients and a norm above it
  return {p.iter, loss};
}

}  // namespace cortado::gpu
