// Crop's GPU half (its CPU half is libcore/layers/crop.cpp): one thread per top
// element, which finds its bottom element from the top's multi-index plus offsets.
#include <cuda_runtime_api.h>

#include "cuda/layers/elementwise.cuh"
#include "layers/crop.hpp"

namespace cortado::gpu {
namespace {

// Blobs with more axes than this take the CPU code (Caffe allows at most 32).
constexpr int kMaxCropAxes = 32;

// Passed by value into the kernel: the top's shape, the offset and the bottom's
// stride on every axis.
struct CropGeometry {
  int axes;
  int top_shape[kMaxCropAxes];
  int offset[kMaxCropAxes];
  int64_t bottom_stride[kMaxCropAxes];

  // The bottom index of top element j.
  __device__ int64_t source(int64_t j) const {
    int64_t src = 0;
    for (int a = axes - 1; a >= 0; --a) {
      const int64_t coord = j % top_shape[a];
      j /= top_shape[a];
      src += (coord + offset[a]) * bottom_stride[a];
    }
    return src;
  }
};

CropGeometry geometry(const Blob& bottom, const Blob& top, const std::vector<int>& offsets) {
  CropGeometry g{};
  g.axes = top.num_axes();
  int64_t stride = 1;
  for (int a = g.axes - 1; a >= 0; --a) {
    g.top_shape[a] = top.shape(a);
    g.offset[a] = offsets[a];
    g.bottom_stride[a] = stride;
    stride *= bottom.shape(a);
  }
  return g;
}

struct CropForward {
  const float* x;
  float* y;
  CropGeometry g;
  __device__ void operator()(int64_t j) const { y[j] = x[g.source(j)]; }
};

// Crop windows never overlap themselves: each bottom element gets at most one dy.
struct CropBackward {
  const float* dy;
  float* dx;
  CropGeometry g;
  __device__ void operator()(int64_t j) const { dx[g.source(j)] = dy[j]; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void CropLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (top[0]->num_axes() > gpu::kMaxCropAxes) return forward_cpu(bottom, top);
  if (top[0]->count() == 0) return;
  gpu::for_each_index("crop_forward", top[0]->count(),
                      gpu::CropForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(),
                                       gpu::geometry(*bottom[0], *top[0], offsets_)});
}

void CropLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (top[0]->num_axes() > gpu::kMaxCropAxes) return backward_cpu(top, propagate_down, bottom);
  if (!propagate_down[0] || bottom[0]->count() == 0) return;
  float* dx = bottom[0]->mutable_gpu_diff();
  gpu::check(cudaMemsetAsync(dx, 0, sizeof(float) * size_t(bottom[0]->count()),
                             gpu::Context::get().stream()),
             "zeroing Crop's bottom diff");
  gpu::for_each_index(
      "crop_backward", top[0]->count(),
      gpu::CropBackward{top[0]->gpu_diff(), dx, gpu::geometry(*bottom[0], *top[0], offsets_)});
}

}  // namespace cortado
