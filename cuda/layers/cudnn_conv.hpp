#pragma once
// One convolution as cuDNN runs it, "conv input" -> "conv output" (Convolution's
// bottom -> top; Deconvolution's top -> bottom), with its descriptors and the
// algorithms chosen for each shape. FP32 by default: the descriptor's math type is
// CUDNN_FMA_MATH, since cuDNN's default math lets FP32 convolutions use TF32 on
// Ampere and later, and the GPU must agree with the CPU to FP32 rounding. With
// gpu::tf32() (--tf32) the descriptor uses CUDNN_DEFAULT_MATH, so TF32 is allowed.
//
// Algorithms are chosen with cudnnFind* (measured on the device) the first time a
// direction runs at a shape, then cached and logged: the fastest that succeeds in FP32
// (with --tf32: in FP32 or TF32), whose workspace fits the context's workspace limit
// and, with gpu::deterministic(), that is deterministic. Each direction then times
// that algorithm against the other ways to run it and keeps the fastest (not with
// gpu::deterministic(): a choice by timing may differ between runs): im2col + a
// batched GEMM (cuda/layers/gemm_conv.hpp; forward and weight gradient) and the
// direct kernels (cuda/layers/direct_conv.hpp; all three directions, forward with the
// bias and a fused ReLU in the same pass); and, for a grouped convolution, cuDNN once
// a group (strided descriptors of one group's channels, cudnnFind's own choice for
// that problem), as Caffe ran groups: cuDNN's grouped algorithms gain nothing from
// TF32 on AlexNet's conv2/4/5, while conv3's ungrouped one runs 2.3x faster with it.
// The workspace is the context's.
#include <cudnn.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuda/layers/gemm_conv.hpp"

namespace cortado::gpu {

// Which ways a convolution may run: the fastest by timing (the default), cuDNN's
// algorithm only, or (tests) wherever it can run, im2col + GEMM with its weight
// gradient per image or as one product (backward data stays on cuDNN), the direct
// kernels with `direct_tile` channels a thread, or cuDNN once a group (grouped
// convolutions). Read when a layer first runs a shape.
enum class ConvPolicy {
  timed,
  cudnn_only,
  gemm_per_image,
  gemm_one_product,
  direct,
  cudnn_per_group
};
void set_conv_policy(ConvPolicy policy, int direct_tile = 8);
// Directions run by cuDNN once a group so far in the process: tests see that it ran.
long long cudnn_per_group_runs();
// Directions for which cuDNN refused once a group (no algorithm for the strided
// tensors, or an error): they keep cuDNN's grouped algorithm.
long long cudnn_per_group_refusals();

struct ConvShape {
  int num = 0, in_channels = 0, in_h = 0, in_w = 0;
  int out_channels = 0, out_h = 0, out_w = 0;
  int kernel_h = 1, kernel_w = 1, pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1, group = 1;
  bool operator<(const ConvShape& o) const;
  bool operator==(const ConvShape& o) const;
};

class CudnnConv {
 public:
  // `where` names the layer in errors.
  explicit CudnnConv(std::string where);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // Describes `s` (nothing to do when it is the current shape). num must be positive.
  void set_shape(const ConvShape& s);
  // out = conv(in, w), then + bias[c] (nullptr: none) and with relu_slope the ReLU
  // fused into the layer (add_channel_bias's arithmetic).
  void forward(const float* in, const float* w, float* out, const float* bias = nullptr,
               std::optional<float> relu_slope = std::nullopt);
  // in_grad = the transpose of conv applied to out_grad
  void backward_data(const float* w, const float* out_grad, float* in_grad);
  // w_grad += the gradient of conv's weights from in and out_grad; with b_grad, also
  // b_grad[c] += the sum of out_grad's channel c (the bias gradient of a top diff
  // that needs no ReLU mask first): in the same kernel where the direct one is taken.
  void backward_filter(const float* in, const float* out_grad, float* w_grad,
                       float* b_grad = nullptr);

 private:
  enum class Path { cudnn, gemm, direct };
  struct Choice {
    bool chosen = false;
    int algo = 0;
    cudnnMathType_t math = CUDNN_FMA_MATH;  // the math type the algorithm was timed in
    size_t bytes = 0;
    Path path = Path::cudnn;           // cuDNN's algorithm (per_group: once a group), or:
    GemmConv use = GemmConv::forward;  // im2col + GEMM: which of its ways,
    int chunk = 0;                     // and its images per chunk;
    int tile = 0;                      // the direct kernels: channels a thread
    bool per_group = false;            // cuDNN on one_group_'s descriptors
  };
  // cuDNN's view of a problem: the whole (grouped) convolution, or one group's
  // channels of the batch (strided tensors, one group), run once a group.
  struct Descriptors {
    cudnnTensorDescriptor_t in = nullptr, out = nullptr;
    cudnnFilterDescriptor_t filter = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
  };
  enum class Direction { forward, data, filter };
  // Per shape, workspace limit and determinism: forward, backward data, backward filter.
  struct Key {
    ConvShape shape;
    size_t limit;
    bool deterministic;
    bool tf32 = false;  // the descriptor's math: default (TF32 allowed) rather than FMA
    bool operator<(const Key& o) const;
  };
  struct Choices {
    Choice fwd, data, filter;
  };
  Choices& choices();
  // The descriptors a cuDNN choice runs on, with its math type set for the next call.
  const Descriptors& prepare(const Choice& c);
  // cudnnFind (or the heuristic ranking) on `d` for a direction, the pick into *c;
  // false when nothing qualifies. `what` names the problem in the log.
  bool find_forward(const Descriptors& d, const std::string& what, Choice* c);
  bool find_backward_data(const Descriptors& d, const std::string& what, Choice* c);
  bool find_backward_filter(const Descriptors& d, const std::string& what, Choice* c);
  // Back to the math type the shape was described in (before a cudnnFind).
  void reset_math(const Descriptors& d);
  // Whether cuDNN once a group is tried (a grouped shape, the policy allowing it).
  bool try_per_group() const;
  // That way's choice for a direction, found by `find` on one_group_; none where not
  // tried or nothing qualifies.
  using FindFn = bool (CudnnConv::*)(const Descriptors&, const std::string&, Choice*);
  std::optional<Choice> per_group_choice(FindFn find);
  // The offsets between groups a cuDNN choice runs with (one run when not per_group).
  struct GroupSteps {
    int groups;
    int64_t in, filter, out;
  };
  GroupSteps group_steps(const Choice& c) const;
  // One run of a direction as `c` says (forward: with its bias and ReLU).
  void run_forward(const Choice& c, const float* in, const float* w, float* out,
                   const float* bias, std::optional<float> relu_slope);
  void run_cudnn_forward(const Choice& c, const float* in, const float* w, float* out);
  void run_backward_data(const Choice& c, const float* w, const float* out_grad, float* in_grad);
  void run_backward_filter(const Choice& c, const float* in, const float* out_grad, float* w_grad,
                           float* b_grad);
  // The ways besides cuDNN's algorithm `c` that the ConvPolicy lets direction `d` take
  // at this shape (none with gpu::deterministic() unless forced), each a Choice.
  std::vector<Choice> alternatives(Direction d, const Choice& c) const;
  // After cuDNN's choice *c for `d`, times it, each alternative and `per_group` (when
  // found) by run(choice) and keeps the fastest in *c, logging the times compared (a
  // forcing policy: its alternative, untimed).
  template <class Run>
  void consider(Direction d, Choice* c, const Run& run, const std::optional<Choice>& per_group);
  std::string no_algorithm(const char* direction) const;
  void check(cudnnStatus_t status, const char* what) const;

  std::string where_;
  ConvShape shape_;
  bool described_ = false;
  bool described_tf32_ = false;  // gpu::tf32() when the descriptor was set
  Descriptors whole_, one_group_;
  std::map<Key, Choices> cache_;
};

}  // namespace cortado::gpu
