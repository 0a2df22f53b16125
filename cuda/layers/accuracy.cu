// Accuracy's GPU half (its CPU half is libcore/layers/accuracy.cpp): positions are
// counted on the device with integer atomics (exact, so the order does not matter),
// the tops are written there, and only the first bad label's position is read back
// so that an out-of-range label is an Error as on the CPU.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/label_error.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/accuracy.hpp"
#include "layers/graph_slots.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// counters: [0] hits, [1] counted positions, [2] first bad position,
// [3, 3 + C) hits per class, [3 + C, 3 + 2C) positions per class.
constexpr int kFixed = 3;

__global__ void accuracy_init_kernel(int n, int* counters) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, n) { counters[i] = i == 2 ? INT_MAX : 0; }
}

struct AccuracyRule {
  int classes, inner, top_k;
  bool has_ignore;
  int ignore;
  bool per_class;
};

// Blocks of kTotalThreads; each thread takes positions on a grid-stride loop.
__global__ void __launch_bounds__(kTotalThreads)
    accuracy_count_kernel(int64_t positions, AccuracyRule r, const float* scores,
                          const float* labels, int* counters) {
  chain_wait();
  int hits = 0, counted = 0, bad = INT_MAX;
  for (int64_t p = blockIdx.x * int64_t(kTotalThreads) + threadIdx.x; p < positions;
       p += int64_t(kTotalThreads) * gridDim.x) {
    const int label = static_cast<int>(labels[p]);
    if (r.has_ignore && label == r.ignore) continue;
    if (label < 0 || label >= r.classes) {
      bad = min(bad, static_cast<int>(p));
      continue;
    }
    const float* s = scores + (p / r.inner) * r.classes * r.inner + p % r.inner;
    const float truth = s[int64_t(label) * r.inner];
    // Classes scoring at least as high as the label's, the label itself excluded.
    int better = -1;
    for (int c = 0; c < r.classes; ++c) better += s[int64_t(c) * r.inner] >= truth;
    const bool hit = better < r.top_k;
    hits += hit;
    ++counted;
    if (r.per_class) {
      if (hit) atomicAdd(&counters[kFixed + label], 1);
      atomicAdd(&counters[kFixed + r.classes + label], 1);
    }
  }
  hits = block_total(hits);
  counted = block_total(counted);
  bad = block_min(bad);
  if (threadIdx.x == 0) {
    atomicAdd(&counters[0], hits);
    atomicAdd(&counters[1], counted);
    atomicMin(&counters[2], bad);
  }
}

__global__ void accuracy_finish_kernel(int classes, const int* counters, float* accuracy,
                                       float* per_class) {
  chain_wait();
  CORTADO_KERNEL_LOOP(c, int64_t(classes) + 1) {
    if (c == classes) {
      accuracy[0] = counters[1] == 0 ? 0.f : static_cast<float>(counters[0]) / counters[1];
    } else if (per_class) {
      const int n = counters[kFixed + classes + c];
      per_class[c] = n == 0 ? 0.f : static_cast<float>(counters[kFixed + c]) / n;
    }
  }
}

// Graph mode's bad-label report (no read back): position + 1, or 0 for none.
__global__ void accuracy_error_kernel(const int* counters, const float* labels, int* error) {
  chain_wait();
  const int bad = counters[2];
  report_bad_label(bad, labels, error);
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void AccuracyLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  using namespace gpu;
  cudaStream_t stream = Context::get().stream();
  const int n = kFixed + 2 * classes_;
  counters_.reshape({n});
  int* counters = reinterpret_cast<int*>(counters_.mutable_gpu_data());
  launch("accuracy_init", accuracy_init_kernel, blocks_for(n), kThreads, stream, n, counters);
  const int64_t positions = int64_t(outer_) * inner_;
  const bool per_class = top.size() > 1;
  if (positions > 0) {
    const AccuracyRule rule{classes_, inner_, top_k_, has_ignore_label_, ignore_label_, per_class};
    const int blocks =
        static_cast<int>(std::min<int64_t>((positions + kTotalThreads - 1) / kTotalThreads, 1024));
    launch("accuracy_count", accuracy_count_kernel, blocks, kTotalThreads, stream, positions, rule,
           bottom[0]->gpu_data(), bottom[1]->gpu_data(), counters);
  }
  launch("accuracy_finish", accuracy_finish_kernel, blocks_for(classes_ + 1), kThreads, stream,
         classes_, counters, top[0]->mutable_gpu_data(),
         per_class ? top[1]->mutable_gpu_data() : nullptr);
  if (graph_slots_) {
    // Graph mode: the solver raises a bad label after the replay (raise_graph_error).
    launch("accuracy_error", accuracy_error_kernel, 1, 1, stream, counters, bottom[1]->gpu_data(),
           graph_slots_->error);
    return;
  }
  // The one read back: an out-of-range label must stop the run, as on the CPU.
  int bad = 0;
  std::memcpy(&bad, counters_.data() + 2, sizeof bad);
  if (bad != INT_MAX) raise_bad_label(static_cast<int>(bottom[1]->data()[bad]), bad, classes_);
}

void AccuracyLayer::raise_graph_error(int code, int value) {
  raise_bad_label(value, code - 1, classes_);
}

void AccuracyLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                 const BlobVec& bottom) {
  backward_cpu(top, propagate_down, bottom);  // no gradient: only refuses to give one
}

}  // namespace cortado
