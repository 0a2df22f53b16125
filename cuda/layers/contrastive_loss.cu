// ContrastiveLoss's GPU half (its CPU half is libcore/layers/contrastive_loss.cpp). One
// block computes the pairs' distances, a thread a pair summing in the CPU's order, and
// then the loss in a fixed order, so that two runs give the same bits.
#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/contrastive_loss.hpp"

namespace cortado::gpu {
namespace {

struct ContrastiveRule {
  float margin;
  bool legacy;
};

// std::max(v, 0.f): a NaN stays NaN, as on the CPU.
__device__ inline float at_least_0(float v) { return v < 0.f ? 0.f : v; }

// d = a - b, dist_sq[i] = ||d_i||^2; loss[0] = sum over pairs of d^2 (similar),
// max(margin - d, 0)^2 (dissimilar) or max(margin - d^2, 0) (dissimilar, legacy), / 2 num.
__global__ void __launch_bounds__(kTotalThreads)
    contrastive_forward_kernel(int num, int dim, ContrastiveRule r, const float* a, const float* b,
                               const float* y, float* d, float* dist_sq, float* loss) {
  chain_wait();
  float sum = 0.f;
  for (int i = threadIdx.x; i < num; i += kTotalThreads) {
    float sq = 0.f;
    for (int64_t k = int64_t(i) * dim; k < int64_t(i + 1) * dim; ++k) {
      const float v = a[k] - b[k];
      d[k] = v;
      sq += v * v;
    }
    dist_sq[i] = sq;
    if (static_cast<int>(y[i]) != 0) {
      sum += sq;
    } else if (r.legacy) {
      sum += at_least_0(r.margin - sq);
    } else {
      const float gap = at_least_0(r.margin - sqrtf(sq));
      sum += gap * gap;
    }
  }
  sum = block_total(sum);
  if (threadIdx.x == 0) loss[0] = sum / static_cast<float>(num) / 2.f;
}

// dx = beta_i d with alpha = sign * weight / num: similar pairs beta = alpha; dissimilar
// ones inside the margin -alpha (legacy) or -alpha (margin - d) / (d + 1e-4) (Caffe's
// 1e-4 keeps identical pairs finite); outside the margin 0.
__global__ void contrastive_backward_kernel(int64_t count, int num, int dim, ContrastiveRule r,
                                            float sign, const float* y, const float* dist_sq,
                                            const float* d, const float* loss_weight, float* dx) {
  chain_wait();
  const float alpha = sign * loss_weight[0] / static_cast<float>(num);
  CORTADO_KERNEL_LOOP(k, count) {
    const int64_t i = k / dim;
    float beta = 0.f;
    if (static_cast<int>(y[i]) != 0) {
      beta = alpha;
    } else if (r.legacy) {
      if (r.margin - dist_sq[i] > 0.f) beta = -alpha;
    } else {
      const float dist = sqrtf(dist_sq[i]);
      const float mdist = r.margin - dist;
      if (mdist > 0.f) beta = -alpha * mdist / (dist + 1e-4f);
    }
    dx[k] = beta * d[k];
  }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ContrastiveLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0);
  const caffe::ContrastiveLossParameter& cp = param_.contrastive_loss_param();
  dist_sq_gpu_.reshape({num});
  gpu::launch("contrastive_loss_forward", gpu::contrastive_forward_kernel, 1, gpu::kTotalThreads,
              gpu::Context::get().stream(), num, bottom[0]->count(1),
              gpu::ContrastiveRule{cp.margin(), cp.legacy_version()}, bottom[0]->gpu_data(),
              bottom[1]->gpu_data(), bottom[2]->gpu_data(), diff_.mutable_gpu_data(),
              dist_sq_gpu_.mutable_gpu_data(), top[0]->mutable_gpu_data());
}

// y gets nothing: as on the CPU (and in Caffe), a request for its gradient is ignored.
void ContrastiveLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  const caffe::ContrastiveLossParameter& cp = param_.contrastive_loss_param();
  const int64_t count = diff_.count();
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k] || count == 0) continue;
    gpu::launch("contrastive_loss_backward", gpu::contrastive_backward_kernel,
                gpu::blocks_for(count), gpu::kThreads, gpu::Context::get().stream(), count,
                bottom[0]->shape(0), bottom[0]->count(1),
                gpu::ContrastiveRule{cp.margin(), cp.legacy_version()}, k == 0 ? 1.f : -1.f,
                bottom[2]->gpu_data(), dist_sq_gpu_.gpu_data(), diff_.gpu_data(),
                top[0]->gpu_diff(), bottom[k]->mutable_gpu_diff());
  }
}

}  // namespace cortado
