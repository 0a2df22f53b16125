// Eltwise's GPU half (its CPU half is libcore/layers/eltwise.cpp). Bottoms are
// combined one kernel per bottom, in the CPU's order, so sums and products round
// as they do there.
#include "cuda/layers/elementwise.cuh"
#include "layers/eltwise.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

struct Fill {
  float* y;
  float value;
  __device__ void operator()(int64_t i) const { y[i] = value; }
};

struct Copy {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = x[i]; }
};

// y = c * x (the CPU's 0 + c * x).
struct Scaled {
  const float* x;
  float* y;
  float c;
  __device__ void operator()(int64_t i) const { y[i] = c * x[i]; }
};

struct AddScaled {
  const float* x;
  float* y;
  float c;
  __device__ void operator()(int64_t i) const { y[i] += c * x[i]; }
};

struct Multiply {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] *= x[i]; }
};

struct Divide {  // y = a / b
  const float* a;
  const float* b;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = a[i] / b[i]; }
};

// The first two bottoms: a tie goes to the second, as on the CPU.
struct MaxOfTwo {
  const float* a;
  const float* b;
  float* y;
  float* winner;
  __device__ void operator()(int64_t i) const {
    const bool first = a[i] > b[i];
    y[i] = first ? a[i] : b[i];
    winner[i] = first ? 0.f : 1.f;
  }
};

// Each further bottom k wins only where strictly larger.
struct MaxWith {
  const float* c;
  float* y;
  float* winner;
  float k;
  __device__ void operator()(int64_t i) const {
    if (c[i] > y[i]) {
      y[i] = c[i];
      winner[i] = k;
    }
  }
};

struct RouteToWinner {
  const float* dy;
  const float* winner;
  float* dx;
  float k;
  __device__ void operator()(int64_t i) const { dx[i] = winner[i] == k ? dy[i] : 0.f; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void EltwiseLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  float* y = top[0]->mutable_gpu_data();
  switch (op_) {
    case caffe::EltwiseParameter::PROD:
      gpu::for_each_index("eltwise_copy", n, gpu::Copy{bottom[0]->gpu_data(), y});
      for (size_t k = 1; k < bottom.size(); ++k)
        gpu::for_each_index("eltwise_prod", n, gpu::Multiply{bottom[k]->gpu_data(), y});
      break;
    case caffe::EltwiseParameter::SUM:
      gpu::for_each_index("eltwise_sum", n, gpu::Scaled{bottom[0]->gpu_data(), y, coeff_[0]});
      for (size_t k = 1; k < bottom.size(); ++k)
        gpu::for_each_index("eltwise_sum", n, gpu::AddScaled{bottom[k]->gpu_data(), y, coeff_[k]});
      break;
    case caffe::EltwiseParameter::MAX: {
      max_winner_gpu_.reshape_like(*bottom[0]);
      float* winner = max_winner_gpu_.mutable_gpu_data();
      gpu::for_each_index("eltwise_max", n,
                          gpu::MaxOfTwo{bottom[0]->gpu_data(), bottom[1]->gpu_data(), y, winner});
      for (size_t k = 2; k < bottom.size(); ++k)
        gpu::for_each_index("eltwise_max", n,
                            gpu::MaxWith{bottom[k]->gpu_data(), y, winner, float(k)});
      break;
    }
    default:
      throw Error(where(), "unknown eltwise operation " + std::to_string(op_));
  }
}

void EltwiseLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  const int n = bottom[0]->count();
  const float* dy = top[0]->gpu_diff();
  for (size_t k = 0; k < bottom.size(); ++k) {
    if (!propagate_down[k]) continue;
    float* dx = bottom[k]->mutable_gpu_diff();
    switch (op_) {
      case caffe::EltwiseParameter::PROD:
        // d(prod)/dx_k: the other bottoms multiplied out (stable_prod_grad), or
        // y / x_k, cheaper but 0/0 where x_k is 0.
        if (param_.eltwise_param().stable_prod_grad()) {
          gpu::for_each_index("eltwise_prod_grad", n, gpu::Fill{dx, 1.f});
          for (size_t j = 0; j < bottom.size(); ++j)
            if (j != k)
              gpu::for_each_index("eltwise_prod_grad", n, gpu::Multiply{bottom[j]->gpu_data(), dx});
        } else {
          gpu::for_each_index("eltwise_prod_grad", n,
                              gpu::Divide{top[0]->gpu_data(), bottom[k]->gpu_data(), dx});
        }
        gpu::for_each_index("eltwise_prod_grad", n, gpu::Multiply{dy, dx});
        break;
      case caffe::EltwiseParameter::SUM:
        gpu::for_each_index("eltwise_sum_grad", n, gpu::Scaled{dy, dx, coeff_[k]});
        break;
      case caffe::EltwiseParameter::MAX:
        gpu::for_each_index("eltwise_max_grad", n,
                            gpu::RouteToWinner{dy, max_winner_gpu_.gpu_data(), dx, float(k)});
        break;
      default:
        break;
    }
  }
}

}  // namespace cortado
