// The layer table on the GPU: the vision layers (InnerProduct, Convolution,
// Deconvolution, Pooling, LRN), each case compared with the CPU layer and
// gradient-checked on the device (test/gpu/layer_parity.hpp). The cases mirror
// test/layers/vision_*.cpp: pad, stride, group, dilation, 1-d, axis, ceil rule.
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/math/gemm.hpp"
#include "cuda/math/small_gemm.hpp"
#include "cuda/util/context.hpp"
#endif
#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/layers/direct_conv.hpp"
#include "cuda/layers/gemm_conv.hpp"
#endif

namespace cortado::test {
namespace {

const char* const kFillers =
    "weight_filler { type: 'gaussian' std: 0.5 } bias_filler { type: 'gaussian' std: 0.5 }";

struct ConvCase {
  const char* param;  // convolution_param fields besides the fillers
  std::vector<int> bottom;
  int bottoms = 1;  // that many bottom/top pairs of this shape
  bool gradient_check = true;
};

void check_conv(const char* type, const ConvCase& k) {
  LayerCase c;
  c.layer = std::string("name: 'conv' type: '") + type + "' ";
  for (int i = 0; i < k.bottoms; ++i)
    c.layer += "bottom: 'x" + std::to_string(i) + "' top: 'y" + std::to_string(i) + "' ";
  c.layer += std::string("convolution_param { ") + k.param + " " + kFillers + " }";
  c.bottoms.assign(k.bottoms, k.bottom);
  c.gradient_check = k.gradient_check;
  check_layer_parity(c);
}

// The cases of test/layers/vision_conv.cpp, and LeNet's two convolutions.
const ConvCase kConvCases[] = {
    {"num_output: 3 kernel_size: 3", {2, 3, 5, 4}},
    {"num_output: 2 kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 2 stride_h: 2 stride_w: 1",
     {2, 1, 6, 5}},
    {"num_output: 3 kernel_size: 3 kernel_size: 2 pad: 1 pad: 0 stride: 2 stride: 3", {2, 2, 8, 9}},
    {"num_output: 2 kernel_size: 2 group: 2 dilation: 2 pad: 1", {2, 4, 6, 6}},
    {"num_output: 6 kernel_size: 3 group: 3 stride: 2", {2, 6, 7, 7}},
    {"num_output: 2 kernel_size: 1 bias_term: false", {3, 3, 4, 4}},
    {"num_output: 3 kernel_size: 3 pad: 1", {1, 2, 5, 5}},           // one sample
    {"num_output: 3 kernel_size: 3", {2, 2, 5, 5}, 2},               // two bottoms, shared weights
    {"num_output: 2 kernel_size: 3 axis: 2", {2, 2, 3, 5, 6}},       // leading axes: samples
    {"num_output: 3 kernel_size: 3 pad: 1 stride: 2", {2, 2, 9}},    // 1-d
    {"num_output: 2 kernel_size: 3 dilation: 2 pad: 2", {2, 3, 7}},  // 1-d, dilated
    {"num_output: 20 kernel_size: 5 stride: 1", {4, 1, 28, 28}, 1, false},   // LeNet conv1
    // 6912 values a channel: the bias gradient in slices (cuda/layers/channel_bias.cu)
    {"num_output: 2 kernel_size: 3", {3, 1, 50, 50}, 1, false},
    {"num_output: 50 kernel_size: 5 stride: 1", {4, 20, 12, 12}, 1, false},  // LeNet conv2
};

// The cases of test/layers/vision_deconv.cpp.
const ConvCase kDeconvCases[] = {
    {"num_output: 3 kernel_size: 3", {2, 3, 4, 3}},
    {"num_output: 2 kernel_size: 2 stride: 2", {2, 1, 3, 3}},
    {"num_output: 4 kernel_size: 2 stride_h: 2 stride_w: 3 pad: 1 group: 2 dilation: 1 "
     "dilation: 2",
     {2, 4, 3, 3}},
    {"num_output: 6 kernel_size: 3 group: 2 stride: 2 pad: 1", {2, 4, 3, 4}},
    {"num_output: 2 kernel_size: 1 bias_term: false", {1, 3, 2, 3}},
    {"num_output: 2 kernel_size: 3 stride: 2", {2, 2, 3, 3}, 2},   // two bottoms
    {"num_output: 3 kernel_size: 3 stride: 2 pad: 1", {2, 2, 5}},  // 1-d
};

}  // namespace

TEST_CASE("GPU Convolution matches the CPU layer: pad, stride, group, dilation, 1-d, axis",
          "[gpu][layers][conv]") {
  for (const ConvCase& k : kConvCases) check_conv("Convolution", k);
  // 100 channels of 11532 values: the bias gradient in 2 slices of whole unrolled rounds.
  check_conv("Convolution", {"num_output: 100 kernel_size: 1", {3, 1, 62, 62}, 1, false});
}

TEST_CASE("GPU Deconvolution matches the CPU layer: pad, stride, group, dilation, 1-d",
          "[gpu][layers][deconv]") {
  for (const ConvCase& k : kDeconvCases) check_conv("Deconvolution", k);
}

TEST_CASE("GPU Convolution with deterministic algorithms or no workspace still matches",
          "[gpu][layers][conv]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  // Both settings are part of the algorithm cache's key, so these choose afresh; the
  // guard restores them even when a check stops the test.
  gpu::Context& ctx = gpu::Context::get();
  struct Restore {
    size_t limit;
    ~Restore() {
      gpu::set_deterministic(false);
      gpu::Context::get().set_workspace_limit(limit);
    }
  } restore{ctx.workspace_limit()};
  gpu::set_deterministic(true);
  check_conv("Convolution", kConvCases[3]);
  check_conv("Deconvolution", kDeconvCases[2]);
  gpu::set_deterministic(false);
  ctx.set_workspace_limit(0);
  check_conv("Convolution", kConvCases[0]);
  check_conv("Deconvolution", kDeconvCases[0]);
#endif
}

TEST_CASE("GPU grouped Convolution and Deconvolution by cuDNN once a group match the CPU layer",
          "[gpu][layers][conv]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDNN
  // Each group's channels as strided tensors, its filters and outputs at their offsets,
  // in all three directions (the weight gradient accumulating into each group's slice).
  struct Restore {
    ~Restore() { gpu::set_conv_policy(gpu::ConvPolicy::timed); }
  } restore;
  gpu::set_conv_policy(gpu::ConvPolicy::cudnn_per_group);
  // Groups whose tensors do not start 16-byte aligned stay on cuDNN's grouped
  // algorithm (kConvCases' group-3 case); this one's do.
  const long long runs = gpu::cudnn_per_group_runs();
  const long long refusals = gpu::cudnn_per_group_refusals();
  for (const ConvCase& k : kConvCases) check_conv("Convolution", k);
  check_conv("Convolution", {"num_output: 6 kernel_size: 3 group: 3 pad: 1", {2, 6, 8, 8}});
  const long long conv_runs = gpu::cudnn_per_group_runs() - runs;
  const long long deconv_runs = gpu::cudnn_per_group_runs();
  for (const ConvCase& k : kDeconvCases) check_conv("Deconvolution", k);  // misaligned
  check_conv("Deconvolution", {"num_output: 4 kernel_size: 3 group: 2 pad: 1", {2, 4, 8, 8}});
  const long long refused = gpu::cudnn_per_group_refusals() - refusals;
#ifdef CORTADO_CUDA_EMU
  CHECK(refused == 0);  // the emulator's cuDNN takes strided tensors
#endif
  if (refused > 0) {
    // Once a group is optional: where this cuDNN refuses strided tensors, those passes
    // ran (and were checked above) on its grouped algorithm.
    WARN("cuDNN refused once a group for " << refused << " convolution directions here");
  } else {
    CHECK(conv_runs >= 6);  // 2 aligned grouped cases x 3 directions
    CHECK(gpu::cudnn_per_group_runs() - deconv_runs >= 3);
  }
#endif
}

// Not tagged [conv]: gpu_check.sh's memcheck run leaves those out, not this one (its
// im2col is our kernel).
TEST_CASE("GPU Convolution by im2col + GEMM matches the CPU layer, in chunks of images too",
          "[gpu][layers][gemm_conv]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDNN
  // The path a convolution takes where it times faster than cuDNN's algorithm, here
  // taken wherever it can run (grouped cases stay on cuDNN), also by Deconvolution's
  // backward, with each way of its weight gradient; then with a workspace limit that
  // holds one image, so that the batch goes in chunks of one.
  const size_t limit = gpu::Context::get().workspace_limit();
  struct Restore {
    size_t limit;
    ~Restore() {
      gpu::set_conv_policy(gpu::ConvPolicy::timed);
      gpu::Context::get().set_workspace_limit(limit);
    }
  } restore{limit};
  // Case 0 (3 x 3 kernel, 3 channels, 3 x 2 outputs, 2 images): an image's workspace is
  // 27 x 6 floats of columns, plus 3 x 27 of partial gradients (per image) or 3 x 6 of
  // top diff (one product): at most 972 bytes.
  gpu::ConvShape shape;
  shape.num = 2;
  shape.in_channels = shape.out_channels = 3;
  shape.in_h = 5;
  shape.in_w = 4;
  shape.out_h = 3;
  shape.out_w = 2;
  shape.kernel_h = shape.kernel_w = 3;
  for (gpu::GemmConv use : {gpu::GemmConv::forward, gpu::GemmConv::filter_per_image,
                            gpu::GemmConv::filter_one_product})
    CHECK(gpu::gemm_conv_chunk(shape, use, 1000) == 1);
  // The chunks timed: the largest, then one within half the L2 cache where that differs.
  using Chunks = std::vector<int>;
  const auto fwd = gpu::GemmConv::forward;
  CHECK(gpu::gemm_conv_chunks(shape, fwd, size_t{1} << 30, 2000) == Chunks{2, 1});
  CHECK(gpu::gemm_conv_chunks(shape, fwd, size_t{1} << 30, size_t{1} << 20) == Chunks{2});
  CHECK(gpu::gemm_conv_chunks(shape, fwd, 1000, 2000) == Chunks{1});
  CHECK(gpu::gemm_conv_chunks(shape, fwd, 100, 2000).empty());
  // AlexNet's conv1 at batch 256 (4.4 MB of columns an image), 1 GiB of workspace and
  // an H100's 50 MB of L2: two chunks of 128, or chunks of 5 (52 of them).
  gpu::ConvShape conv1 = shape;
  conv1.num = 256;
  conv1.in_h = conv1.in_w = 227;
  conv1.out_channels = 96;
  conv1.out_h = conv1.out_w = 55;
  conv1.kernel_h = conv1.kernel_w = 11;
  conv1.stride_h = conv1.stride_w = 4;
  CHECK(gpu::gemm_conv_chunks(conv1, fwd, size_t{1} << 30, 50u << 20) == Chunks{128, 5});
  for (auto policy : {gpu::ConvPolicy::gemm_per_image, gpu::ConvPolicy::gemm_one_product}) {
    INFO("weight gradient " << (policy == gpu::ConvPolicy::gemm_per_image ? "per image"
                                                                          : "as one product"));
    gpu::set_conv_policy(policy);
    gpu::Context::get().set_workspace_limit(limit);
    long long chunks = gpu::gemm_conv_chunks_run();
    for (const ConvCase& k : kConvCases) check_conv("Convolution", k);
    check_conv("Convolution", {"num_output: 8 kernel_size: 11 stride: 4",  // AlexNet's conv1
                               {2, 3, 35, 35}, 1, false});
    CHECK(gpu::gemm_conv_chunks_run() > chunks);
    // Deconvolution's backward runs the convolution forward and its weight gradient.
    chunks = gpu::gemm_conv_chunks_run();
    for (const ConvCase& k : kDeconvCases) check_conv("Deconvolution", k);
    CHECK(gpu::gemm_conv_chunks_run() > chunks);
    gpu::Context::get().set_workspace_limit(1000);
    chunks = gpu::gemm_conv_chunks_run();
    check_conv("Convolution", kConvCases[0]);
    // Forward and weight gradient, each in two chunks, at least once (the parity check
    // runs them more often).
    CHECK(gpu::gemm_conv_chunks_run() - chunks >= 4);
  }
#endif
}

// Not tagged [conv], so that memcheck looks at these kernels too.
TEST_CASE("GPU Convolution by the direct kernels matches the CPU layer, with every tile",
          "[gpu][layers][direct_conv]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDNN
  // The direct kernels taken wherever they fit, in all three directions (Deconvolution
  // runs them swapped), with each tile of channels a thread: the cases cover tiles
  // partly filled (3 channels in a tile of 4, 50 in tiles of 16), groups, stride,
  // dilation and pad on both sides of the data gradient, and (AlexNet's conv1 below)
  // weights staged in several chunks of input channels (121 taps x 16 channels a tile
  // leave room for 2 input channels at a time) and several weight tiles of the
  // gradient kernel.
  struct Restore {
    ~Restore() { gpu::set_conv_policy(gpu::ConvPolicy::timed); }
  } restore;
  for (int tile : gpu::kDirectConvTiles) {
    INFO(tile << " channels a thread");
    gpu::set_conv_policy(gpu::ConvPolicy::direct, tile);
    long long runs = gpu::direct_conv_runs();
    for (const ConvCase& k : kConvCases) check_conv("Convolution", k);
    check_conv("Convolution", {"num_output: 8 kernel_size: 11 stride: 4",  // AlexNet's conv1
                               {2, 5, 35, 35}, 1, false});
    CHECK(gpu::direct_conv_runs() > runs);
    runs = gpu::direct_conv_runs();
    for (const ConvCase& k : kDeconvCases) check_conv("Deconvolution", k);
    CHECK(gpu::direct_conv_runs() > runs);
  }
  // A kernel too large to stage (17 x 17 taps x 16 channels) is left to cuDNN.
  gpu::ConvShape shape;
  shape.num = shape.in_channels = shape.out_channels = 1;
  shape.in_h = shape.in_w = shape.kernel_h = shape.kernel_w = 17;
  shape.out_h = shape.out_w = 1;
  CHECK_FALSE(gpu::direct_conv_fits(shape));
  shape.in_h = shape.in_w = shape.kernel_h = shape.kernel_w = 16;
  CHECK(gpu::direct_conv_fits(shape));
  // Timed only on small convolutions: LeNet's conv2 at batch 64, not AlexNet's at 256.
  shape = {64, 20, 12, 12, 50, 8, 8, 5, 5};
  CHECK(gpu::direct_conv_small(shape));
  shape = {256, 96, 31, 31, 256, 27, 27, 5, 5, 2, 2};
  shape.group = 2;
  CHECK_FALSE(gpu::direct_conv_small(shape));
#endif
}

TEST_CASE("GPU InnerProduct matches the CPU layer: bias, transpose, axis", "[gpu][layers][ip]") {
#ifdef CORTADO_WITH_CUDA
  // Its products by cuBLAS or our small-GEMM kernel, whichever times faster, and then
  // by the small-GEMM kernel throughout (every transpose combination of its operands).
  struct Restore {
    ~Restore() { gpu::set_gemm_policy(gpu::GemmPolicy::timed); }
  } restore;
  const bool small = GENERATE(false, true);
  INFO((small ? "small-GEMM kernel" : "products by timing"));
  gpu::set_gemm_policy(small ? gpu::GemmPolicy::small : gpu::GemmPolicy::timed);
  const long long runs = gpu::small_gemm_runs();
#endif
  struct Shape {
    const char* param;
    std::vector<int> bottom;
  };
  for (const Shape& s : std::initializer_list<Shape>{
           {"num_output: 5", {2, 3, 2, 2}},                        // M < N: fc6-like
           {"num_output: 3", {7, 4}},                              // M > N
           {"num_output: 5 transpose: true", {2, 3, 2, 2}},        // W stored K x N
           {"num_output: 4 bias_term: false", {6, 5}},             // no bias
           {"num_output: 2 axis: 2 bias_term: false", {2, 3, 4}},  // leading axes kept
           {"num_output: 3 axis: -1 transpose: true", {2, 2, 5}},
           {"num_output: 40", {20, 6}}}) {  // 2 blocks of bias-gradient columns
    LayerCase c;
    c.layer = std::string(
                  "name: 'fc' type: 'InnerProduct' bottom: 'x' top: 'y' "
                  "inner_product_param { ") +
              s.param + " " + kFillers + " }";
    c.bottoms = {s.bottom};
    check_layer_parity(c);
  }
#ifdef CORTADO_WITH_CUDA
  if (small && gpu_available()) CHECK(gpu::small_gemm_runs() > runs);
#endif
}

TEST_CASE("GPU Pooling matches the CPU layer: MAX and AVE, ceil rule, pad, global, mask",
          "[gpu][layers][pooling]") {
  struct PoolCase {
    const char* param;
    std::vector<int> bottom;
    bool mask = false;  // MAX's argmax as a second top
    bool gradient_check = true;
  };
  for (const PoolCase& k : std::initializer_list<PoolCase>{
           {"pool: MAX kernel_size: 2 stride: 2", {2, 3, 6, 6}},        // LeNet's, small
           {"pool: MAX kernel_size: 2 stride: 2", {2, 3, 6, 6}, true},  // with the mask
           {"pool: MAX kernel_size: 3 stride: 2 pad: 1", {2, 2, 6, 5}},
           {"pool: MAX kernel_h: 2 kernel_w: 3 stride: 2", {1, 2, 5, 5}, true, false},
           {"pool: MAX kernel_size: 3 stride: 2", {2, 2, 8, 8}},  // ceil: a clipped last window
           {"pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR", {2, 2, 8, 8}},
           {"pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0",
            {2, 2, 7, 5}},
           {"pool: MAX global_pooling: true", {2, 3, 5, 4}},
           {"pool: AVE kernel_size: 3 stride: 2 pad: 1", {2, 2, 7, 6}},  // ceil rule with pad
           {"pool: AVE kernel_size: 3 stride: 2", {2, 2, 8, 8}},  // divisor of clipped windows
           {"pool: AVE kernel_size: 3 stride: 2 pad: 1 round_mode: FLOOR", {2, 2, 7, 6}},
           {"pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0",
            {2, 2, 7, 5}},
           {"pool: AVE kernel_size: 1 stride: 3", {1, 2, 5, 5}},  // a window past the image
           {"pool: AVE global_pooling: true", {2, 3, 3, 4}},
           {"pool: MAX kernel_size: 2 stride: 2", {4, 20, 24, 24}, false, false},  // LeNet pool1
           {"pool: MAX kernel_size: 3 stride: 2", {2, 8, 13, 13}, false, false},   // CaffeNet-like
           // Backward goes by 32 x 8 tiles of a plane, the planes in steps of 65535:
           // several tiles each way, and more planes than one step.
           {"pool: MAX kernel_size: 3 stride: 2", {1, 2, 55, 41}, false, false},
           {"pool: AVE kernel_size: 3 stride: 2 pad: 1", {1, 2, 37, 55}, false, false},
           {"pool: MAX kernel_size: 2 stride: 2", {2, 33000, 2, 2}, false, false},
       }) {
    LayerCase c;
    c.layer = std::string("name: 'pool' type: 'Pooling' bottom: 'x' top: 'y' ") +
              (k.mask ? "top: 'mask' " : "") + "pooling_param { " + k.param + " }";
    c.bottoms = {k.bottom};
    c.distinct_spacing = 0.05f;  // no ties: the argmax is the same on both sides
    c.gradient_check = k.gradient_check;
    check_layer_parity(c);
  }
}

TEST_CASE("GPU LRN matches the CPU layer: across and within channels, beta 0.75 and other",
          "[gpu][layers][lrn]") {
  for (const char* region : {"ACROSS_CHANNELS", "WITHIN_CHANNEL"})
    for (const char* params :
         {"local_size: 5 alpha: 0.9 beta: 0.75 k: 2", "local_size: 3 alpha: 0.9 beta: 0.6 k: 1",
          "local_size: 1 alpha: 1 beta: 0.75"}) {
      LayerCase c;
      c.layer = std::string("name: 'norm' type: 'LRN' bottom: 'x' top: 'y' lrn_param { ") + params +
                " norm_region: " + region + " }";
      c.bottoms = {{2, 6, 4, 3}};
      check_layer_parity(c);
    }
  LayerCase alexnet;  // AlexNet's norm1, fewer samples and channels: 40 channels are
  alexnet.layer =     // three of the GPU's runs of channels, the last one short
      "name: 'norm1' type: 'LRN' bottom: 'x' top: 'y' "
      "lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 }";
  alexnet.bottoms = {{2, 40, 27, 27}};
  alexnet.gradient_check = false;
  check_layer_parity(alexnet);
}

}  // namespace cortado::test
