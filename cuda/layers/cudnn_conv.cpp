#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iterator>
#include <tuple>
#include <vector>

#include "blob/blob.hpp"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/direct_conv.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/timing.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado::gpu {
namespace {

auto fields(const ConvShape& s) {
  return std::tie(s.num, s.in_channels, s.in_h, s.in_w, s.out_channels, s.out_h, s.out_w,
                  s.kernel_h, s.kernel_w, s.pad_h, s.pad_w, s.stride_h, s.stride_w, s.dilation_h,
                  s.dilation_w, s.group);
}

std::string dims(int a, int b, int c, int d) {
  return std::to_string(a) + "x" + std::to_string(b) + "x" + std::to_string(c) + "x" +
         std::to_string(d);
}

// The first (fastest) of cudnnFind's results that can run here: it succeeded, in
// FP32 math, with a workspace (asked again for our descriptor, whose math type is
// FMA, or default with `tf32`) within `limit`, and deterministic if asked. cudnnFind times each
// algorithm in the descriptor's math type and in default math; an entry in default math is taken
// only where no FMA entry qualifies (its timing may have used TF32; ours will not).
// With `tf32` entries in default and tensor-op math qualify in the first pass as well
// (for FP32 data both mean TF32 tensor cores on Ampere and later; conversion to FP16
// never qualifies): the fastest wins, and runs in the math type it was timed in.
// The workspace is asked for in the math type the entry will run in (it may differ).
// Returns the entry's index, or -1.
template <class Perf, class WorkspaceFn>
int pick(const std::vector<Perf>& found, int n, size_t limit, bool deterministic, bool tf32,
         WorkspaceFn workspace, size_t* bytes) {
  for (bool allow_default : {tf32, true})
    for (int i = 0; i < n; ++i) {
      const Perf& p = found[i];
      if (p.status != CUDNN_STATUS_SUCCESS) continue;
      const bool tensor_op = tf32 && p.mathType == CUDNN_TENSOR_OP_MATH;
      if (p.mathType != CUDNN_FMA_MATH && !tensor_op &&
          !(allow_default && p.mathType == CUDNN_DEFAULT_MATH))
        continue;
      if (deterministic && p.determinism != CUDNN_DETERMINISTIC) continue;
      size_t need = 0;
      const cudnnMathType_t run_math = tf32 ? p.mathType : CUDNN_FMA_MATH;
      if (workspace(p.algo, run_math, &need) != CUDNN_STATUS_SUCCESS || need > limit) continue;
      *bytes = need;
      return i;
    }
  return -1;
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_FMA_MATH:
      return "FP32";
    case CUDNN_TENSOR_OP_MATH:
      return "tensor-op (TF32)";
    default:
      return "default (TF32 allowed)";
  }
}

// Takes pick's entry into *c and logs it: what cuDNN chose is the first thing to
// look at when a convolution is slow.
template <class Perf, class Choice, class WorkspaceFn>
bool choose(const std::string& where, const char* direction, const std::vector<Perf>& found,
            int n, bool deterministic, bool tf32, WorkspaceFn workspace, Choice* c) {
  const int i = pick(found, n, Context::get().workspace_limit(), deterministic, tf32, workspace,
                     &c->bytes);
  if (i < 0) return false;
  const Perf& p = found[i];
  c->algo = static_cast<int>(p.algo);
  c->math = tf32 ? p.mathType : CUDNN_FMA_MATH;
  c->chosen = true;
  LOG_INFO("{}: cuDNN {} algorithm {} in {} math, {}, workspace {}", where, direction, c->algo,
           math_name(c->math),
           deterministic ? std::string("ranked first by cuDNN's heuristics")
                         : fmt::format("{:.3f} ms in cudnnFind", p.time),
           format_bytes(c->bytes));
  return true;
}

const char* direction_name(int d) {
  static const char* const names[] = {"forward", "backward-data", "backward-filter"};
  return names[d];
}

std::atomic<ConvPolicy> policy{ConvPolicy::timed};
std::atomic<long long> per_group_runs{0};
std::atomic<long long> per_group_refusals{0};
std::atomic<int> forced_tile{8};

}  // namespace

void set_conv_policy(ConvPolicy p, int direct_tile) {
  CORTADO_ASSERT(std::count(std::begin(kDirectConvTiles), std::end(kDirectConvTiles),
                            direct_tile) == 1);
  policy = p;
  forced_tile = direct_tile;
}

long long cudnn_per_group_runs() { return per_group_runs; }
long long cudnn_per_group_refusals() { return per_group_refusals; }

bool ConvShape::operator<(const ConvShape& o) const { return fields(*this) < fields(o); }
bool ConvShape::operator==(const ConvShape& o) const { return fields(*this) == fields(o); }

bool CudnnConv::Key::operator<(const Key& o) const {
  if (!(shape == o.shape)) return shape < o.shape;
  return std::tie(limit, deterministic, tf32) < std::tie(o.limit, o.deterministic, o.tf32);
}

CudnnConv::CudnnConv(std::string where) : where_(std::move(where)) {
  for (Descriptors* d : {&whole_, &one_group_}) {
    check(cudnnCreateTensorDescriptor(&d->in), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&d->out), "cudnnCreateTensorDescriptor");
    check(cudnnCreateFilterDescriptor(&d->filter), "cudnnCreateFilterDescriptor");
    check(cudnnCreateConvolutionDescriptor(&d->conv), "cudnnCreateConvolutionDescriptor");
  }
}

// Destroying descriptors frees host memory only; never throws (also runs at exit).
CudnnConv::~CudnnConv() {
  for (Descriptors* d : {&whole_, &one_group_}) {
    if (d->conv) cudnnDestroyConvolutionDescriptor(d->conv);
    if (d->filter) cudnnDestroyFilterDescriptor(d->filter);
    if (d->out) cudnnDestroyTensorDescriptor(d->out);
    if (d->in) cudnnDestroyTensorDescriptor(d->in);
  }
}

void CudnnConv::check(cudnnStatus_t status, const char* what) const {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw Error(where_, std::string(what) + " failed: " + cudnnGetErrorString(status));
}

void CudnnConv::set_shape(const ConvShape& s) {
  if (described_ && s == shape_ && described_tf32_ == tf32()) return;
  described_ = false;
  check(cudnnSetTensor4dDescriptor(whole_.in, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.num,
                                   s.in_channels, s.in_h, s.in_w),
        "cudnnSetTensor4dDescriptor (conv input)");
  check(cudnnSetTensor4dDescriptor(whole_.out, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.num,
                                   s.out_channels, s.out_h, s.out_w),
        "cudnnSetTensor4dDescriptor (conv output)");
  // Caffe's weights: out_channels x in_channels/group x kh x kw, group g's filters
  // being rows [g * out/group, (g+1) * out/group), which is cuDNN's grouped layout.
  check(cudnnSetFilter4dDescriptor(whole_.filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                   s.out_channels, s.in_channels / s.group, s.kernel_h, s.kernel_w),
        "cudnnSetFilter4dDescriptor");
  // --tf32 (gpu::tf32()): default math, which allows TF32 tensor cores for FP32 on sm_80+.
  const bool use_tf32 = tf32();
  auto describe_conv = [&](cudnnConvolutionDescriptor_t conv, int groups) {
    // Caffe's convolution is a cross-correlation (the kernel is not flipped).
    check(cudnnSetConvolution2dDescriptor(conv, s.pad_h, s.pad_w, s.stride_h, s.stride_w,
                                          s.dilation_h, s.dilation_w, CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT),
          "cudnnSetConvolution2dDescriptor");
    check(cudnnSetConvolutionGroupCount(conv, groups), "cudnnSetConvolutionGroupCount");
    check(cudnnSetConvolutionMathType(conv, use_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH),
          "cudnnSetConvolutionMathType");
  };
  describe_conv(whole_.conv, s.group);
  int n = 0, c = 0, h = 0, w = 0;
  check(
      cudnnGetConvolution2dForwardOutputDim(whole_.conv, whole_.in, whole_.filter, &n, &c, &h, &w),
      "cudnnGetConvolution2dForwardOutputDim");
  if (n != s.num || c != s.out_channels || h != s.out_h || w != s.out_w)
    throw Error(where_, "cuDNN gives an output of " + dims(n, c, h, w) + " for an input of " +
                            dims(s.num, s.in_channels, s.in_h, s.in_w) + "; the layer expects " +
                            dims(s.num, s.out_channels, s.out_h, s.out_w));
  if (s.group > 1) {
    // One group's channels of every image: the whole tensors' strides, a group's sizes.
    const int in_c = s.in_channels / s.group, out_c = s.out_channels / s.group;
    const int in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
    check(cudnnSetTensor4dDescriptorEx(one_group_.in, CUDNN_DATA_FLOAT, s.num, in_c, s.in_h, s.in_w,
                                       s.in_channels * in_plane, in_plane, s.in_w, 1),
          "cudnnSetTensor4dDescriptorEx (a group's conv input)");
    check(cudnnSetTensor4dDescriptorEx(one_group_.out, CUDNN_DATA_FLOAT, s.num, out_c, s.out_h,
                                       s.out_w, s.out_channels * out_plane, out_plane, s.out_w, 1),
          "cudnnSetTensor4dDescriptorEx (a group's conv output)");
    check(cudnnSetFilter4dDescriptor(one_group_.filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, out_c,
                                     in_c, s.kernel_h, s.kernel_w),
          "cudnnSetFilter4dDescriptor (a group's filters)");
    describe_conv(one_group_.conv, 1);
  }
  shape_ = s;
  described_tf32_ = use_tf32;
  described_ = true;
}

CudnnConv::Choices& CudnnConv::choices() {
  CORTADO_ASSERT(described_);
  return cache_[Key{shape_, Context::get().workspace_limit(), deterministic(), described_tf32_}];
}

const CudnnConv::Descriptors& CudnnConv::prepare(const Choice& c) {
  if (c.per_group) ++per_group_runs;
  const Descriptors& d = c.per_group ? one_group_ : whole_;
  check(cudnnSetConvolutionMathType(d.conv, c.math), "cudnnSetConvolutionMathType");
  return d;
}

void CudnnConv::reset_math(const Descriptors& d) {
  // (a run leaves the descriptor in its choice's math type; cudnnFind must search in
  // the one the shape was described with)
  check(cudnnSetConvolutionMathType(d.conv, described_tf32_ ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH),
        "cudnnSetConvolutionMathType");
}

bool CudnnConv::try_per_group() const {
  return shape_.group > 1 && (policy == ConvPolicy::cudnn_per_group ||
                              (policy == ConvPolicy::timed && !deterministic()));
}

std::vector<CudnnConv::Choice> CudnnConv::alternatives(Direction d, const Choice& c) const {
  std::vector<Choice> out;
  if (policy == ConvPolicy::cudnn_only || (policy == ConvPolicy::timed && deterministic()))
    return out;
  const size_t limit = Context::get().workspace_limit();
  auto gemm = [&](GemmConv use) {
    for (const int chunk : gemm_conv_chunks(shape_, use, limit, Context::get().l2_bytes())) {
      Choice a = c;
      a.path = Path::gemm;
      a.use = use;
      a.chunk = chunk;
      a.bytes = gemm_conv_workspace(shape_, use, chunk);
      out.push_back(a);
    }
  };
  auto direct = [&](int tile) {
    if (!direct_conv_fits(shape_)) return;
    Choice a = c;
    a.path = Path::direct;
    a.tile = tile;
    a.bytes = 0;
    out.push_back(a);
  };
  const bool timed = policy == ConvPolicy::timed;
  if (timed || policy == ConvPolicy::gemm_per_image || policy == ConvPolicy::gemm_one_product) {
    if (d == Direction::forward) gemm(GemmConv::forward);
    if (d == Direction::filter && policy != ConvPolicy::gemm_one_product)
      gemm(GemmConv::filter_per_image);
    if (d == Direction::filter && policy != ConvPolicy::gemm_per_image)
      gemm(GemmConv::filter_one_product);
  }
  if (timed && direct_conv_small(shape_)) {
    if (d == Direction::filter) direct(0);  // one kernel: no tiles to choose from
    if (d != Direction::filter)
      for (int tile : kDirectConvTiles) direct(tile);
  }
  // (the weight gradient's atomics are never taken with deterministic())
  if (policy == ConvPolicy::direct && !(d == Direction::filter && deterministic()))
    direct(d == Direction::filter ? 0 : forced_tile.load());
  return out;
}

template <class Run>
void CudnnConv::consider(Direction d, Choice* c, const Run& run,
                         const std::optional<Choice>& per_group) {
  std::vector<Choice> others = alternatives(d, *c);
  if (per_group) others.push_back(*per_group);
  if (others.empty()) return;
  if (policy != ConvPolicy::timed) {  // forced (tests): the way the policy names
    *c = others.front();
    return;
  }
  auto name = [](const Choice& x) {
    if (x.path == Path::cudnn)
      return std::string(x.per_group ? "cuDNN's algorithm once a group" : "cuDNN's algorithm");
    if (x.path == Path::direct)
      return x.tile ? fmt::format("direct kernels ({} channels a thread)", x.tile)
                    : std::string("direct kernel");
    const char* way = x.use == GemmConv::forward            ? "im2col + GEMM"
                      : x.use == GemmConv::filter_per_image ? "im2col + GEMM per image"
                                                            : "im2col + one GEMM";
    return fmt::format("{} ({} images a chunk, workspace {})", way, x.chunk,
                       format_bytes(x.bytes));
  };
  float best = time_ms([&] { run(*c); });
  std::string timings = fmt::format("{} {:.3f} ms", name(*c), best);
  Choice fastest = *c;
  for (const Choice& a : others) {
    float ms = 0.f;
    try {  // an alternative the library refuses at this shape is just not taken
      ms = time_ms([&] { run(a); });
    } catch (const Error& e) {
      timings += fmt::format(", {} failed ({})", name(a), e.what());
      continue;
    }
    timings += fmt::format(", {} {:.3f} ms", name(a), ms);
    if (ms < best) {
      best = ms;
      fastest = a;
    }
  }
  *c = fastest;
  LOG_INFO("{}: {} timed: {}; taking {}", where_, direction_name(static_cast<int>(d)), timings,
           name(*c));
}

std::string CudnnConv::no_algorithm(const char* direction) const {
  return std::string("no cuDNN algorithm for the ") + direction +
         " convolution runs in FP32 within the GPU workspace limit of " +
         format_bytes(Context::get().workspace_limit()) +
         (deterministic() ? " and is deterministic" : "");
}

bool CudnnConv::find_forward(const Descriptors& d, const std::string& what, Choice* c) {
  cudnnHandle_t h = Context::get().cudnn();
  reset_math(d);
  int max = 0;
  check(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max),
        "cudnnGetConvolutionForwardAlgorithmMaxCount");
  std::vector<cudnnConvolutionFwdAlgoPerf_t> found(max);
  int n = 0;
  // Deterministic: cuDNN's heuristic ranking, not timings, which vary from run to run:
  // a rerun choosing another (equally deterministic) algorithm would round differently.
  if (deterministic())
    check(cudnnGetConvolutionForwardAlgorithm_v7(h, d.in, d.filter, d.conv, d.out, max, &n,
                                                 found.data()),
          "cudnnGetConvolutionForwardAlgorithm_v7");
  else
    check(cudnnFindConvolutionForwardAlgorithm(h, d.in, d.filter, d.conv, d.out, max, &n,
                                               found.data()),
          "cudnnFindConvolutionForwardAlgorithm");
  auto workspace = [&](cudnnConvolutionFwdAlgo_t a, cudnnMathType_t math, size_t* bytes) {
    const cudnnStatus_t set = cudnnSetConvolutionMathType(d.conv, math);
    if (set != CUDNN_STATUS_SUCCESS) return set;
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.in, d.filter, d.conv, d.out, a, bytes);
  };
  return choose(what, "forward", found, n, deterministic(), described_tf32_, workspace, c);
}

bool CudnnConv::find_backward_data(const Descriptors& d, const std::string& what, Choice* c) {
  cudnnHandle_t h = Context::get().cudnn();
  reset_math(d);
  int max = 0;
  check(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max),
        "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> found(max);
  int n = 0;
  if (deterministic())
    check(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.filter, d.out, d.conv, d.in, max, &n,
                                                      found.data()),
          "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  else
    check(cudnnFindConvolutionBackwardDataAlgorithm(h, d.filter, d.out, d.conv, d.in, max, &n,
                                                    found.data()),
          "cudnnFindConvolutionBackwardDataAlgorithm");
  auto workspace = [&](cudnnConvolutionBwdDataAlgo_t a, cudnnMathType_t math, size_t* bytes) {
    const cudnnStatus_t set = cudnnSetConvolutionMathType(d.conv, math);
    if (set != CUDNN_STATUS_SUCCESS) return set;
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.filter, d.out, d.conv, d.in, a, bytes);
  };
  return choose(what, "backward-data", found, n, deterministic(), described_tf32_, workspace, c);
}

bool CudnnConv::find_backward_filter(const Descriptors& d, const std::string& what, Choice* c) {
  cudnnHandle_t h = Context::get().cudnn();
  reset_math(d);
  int max = 0;
  check(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max),
        "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> found(max);
  int n = 0;
  if (deterministic())
    check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.in, d.out, d.conv, d.filter, max, &n,
                                                        found.data()),
          "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  else
    check(cudnnFindConvolutionBackwardFilterAlgorithm(h, d.in, d.out, d.conv, d.filter, max, &n,
                                                      found.data()),
          "cudnnFindConvolutionBackwardFilterAlgorithm");
  auto workspace = [&](cudnnConvolutionBwdFilterAlgo_t a, cudnnMathType_t math, size_t* bytes) {
    const cudnnStatus_t set = cudnnSetConvolutionMathType(d.conv, math);
    if (set != CUDNN_STATUS_SUCCESS) return set;
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.in, d.out, d.conv, d.filter, a,
                                                          bytes);
  };
  return choose(what, "backward-filter", found, n, deterministic(), described_tf32_, workspace, c);
}

std::optional<CudnnConv::Choice> CudnnConv::per_group_choice(FindFn find) {
  if (!try_per_group()) return std::nullopt;
  // A group's tensors start at these offsets from the whole ones (whose allocations
  // start 256-byte aligned):
  // cuDNN's kernels may want 16-byte aligned pointers, which cudnnFind's own buffers
  // always are, so misaligned groups are not tried.
  Choice g;
  g.per_group = true;
  const GroupSteps steps = group_steps(g);
  for (int64_t floats : {steps.in, steps.filter, steps.out})
    if (floats % 4 != 0) return std::nullopt;
  // An optional way: cuDNN refusing it (strided tensors) leaves cuDNN's grouped choice.
  try {
    if (!(this->*find)(one_group_, where_ + " (one group)", &g)) {
      ++per_group_refusals;
      return std::nullopt;
    }
  } catch (const Error& e) {
    ++per_group_refusals;
    LOG_INFO("{}: cuDNN once a group not tried: {}", where_, e.what());
    return std::nullopt;
  }
  return g;
}

void CudnnConv::forward(const float* in, const float* w, float* out, const float* bias,
                        std::optional<float> relu_slope) {
  Choice& c = choices().fwd;
  if (!c.chosen) {
    if (!find_forward(whole_, where_, &c)) throw Error(where_, no_algorithm("forward"));
    // Timed with the bias and ReLU: the direct kernels add them in the same pass.
    consider(
        Direction::forward, &c,
        [&](const Choice& x) { run_forward(x, in, w, out, bias, relu_slope); },
        per_group_choice(&CudnnConv::find_forward));
  }
  run_forward(c, in, w, out, bias, relu_slope);
}

void CudnnConv::run_forward(const Choice& c, const float* in, const float* w, float* out,
                            const float* bias, std::optional<float> relu_slope) {
  if (c.path == Path::direct)
    return direct_conv_forward(shape_, c.tile, in, w, out, bias, relu_slope);
  if (c.path == Path::gemm)
    return gemm_conv_forward(shape_, c.chunk, in, w, out, Context::get().workspace(c.bytes), bias,
                             relu_slope);
  run_cudnn_forward(c, in, w, out);
  if (bias || relu_slope)
    add_channel_bias(shape_.num, shape_.out_channels, shape_.out_h * shape_.out_w, bias, out,
                     relu_slope);
}

CudnnConv::GroupSteps CudnnConv::group_steps(const Choice& c) const {
  const ConvShape& s = shape_;
  if (!c.per_group) return {1, 0, 0, 0};
  const int64_t in_c = s.in_channels / s.group, out_c = s.out_channels / s.group;
  return {s.group, in_c * s.in_h * s.in_w, out_c * in_c * s.kernel_h * s.kernel_w,
          out_c * s.out_h * s.out_w};
}

void CudnnConv::run_cudnn_forward(const Choice& c, const float* in, const float* w, float* out) {
  Context& ctx = Context::get();
  const Descriptors& d = prepare(c);
  const float one = 1.f, zero = 0.f;
  void* ws = c.bytes ? ctx.workspace(c.bytes) : nullptr;
  const GroupSteps g = group_steps(c);
  for (int i = 0; i < g.groups; ++i)
    check(
        cudnnConvolutionForward(ctx.cudnn(), &one, d.in, in + i * g.in, d.filter, w + i * g.filter,
                                d.conv, static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws, c.bytes,
                                &zero, d.out, out + i * g.out),
        "cudnnConvolutionForward");
}

void CudnnConv::backward_data(const float* w, const float* out_grad, float* in_grad) {
  Choice& c = choices().data;
  if (!c.chosen) {
    if (!find_backward_data(whole_, where_, &c)) throw Error(where_, no_algorithm("backward-data"));
    consider(
        Direction::data, &c, [&](const Choice& x) { run_backward_data(x, w, out_grad, in_grad); },
        per_group_choice(&CudnnConv::find_backward_data));
  }
  run_backward_data(c, w, out_grad, in_grad);
}

void CudnnConv::run_backward_data(const Choice& c, const float* w, const float* out_grad,
                                  float* in_grad) {
  if (c.path == Path::direct)
    return direct_conv_backward_data(shape_, c.tile, w, out_grad, in_grad);
  Context& ctx = Context::get();
  const Descriptors& d = prepare(c);
  const float one = 1.f, zero = 0.f;
  void* ws = c.bytes ? ctx.workspace(c.bytes) : nullptr;
  const GroupSteps g = group_steps(c);
  for (int i = 0; i < g.groups; ++i)
    check(cudnnConvolutionBackwardData(ctx.cudnn(), &one, d.filter, w + i * g.filter, d.out,
                                       out_grad + i * g.out, d.conv,
                                       static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws,
                                       c.bytes, &zero, d.in, in_grad + i * g.in),
          "cudnnConvolutionBackwardData");
}

void CudnnConv::backward_filter(const float* in, const float* out_grad, float* w_grad,
                                float* b_grad) {
  Choice& c = choices().filter;
  if (!c.chosen) {
    if (!find_backward_filter(whole_, where_, &c))
      throw Error(where_, no_algorithm("backward-filter"));
    // Timed into scratch gradients, made at the first timed run: the real ones
    // accumulate. With the bias gradient: the direct kernel sums it in the same pass.
    std::optional<Blob> scratch, scratch_bias;
    consider(
        Direction::filter, &c,
        [&](const Choice& x) {
          if (!scratch)
            scratch.emplace(std::vector<int>{shape_.out_channels, shape_.in_channels / shape_.group,
                                             shape_.kernel_h, shape_.kernel_w});
          if (b_grad && !scratch_bias) scratch_bias.emplace(std::vector<int>{shape_.out_channels});
          run_backward_filter(x, in, out_grad, scratch->mutable_gpu_data(),
                              b_grad ? scratch_bias->mutable_gpu_data() : nullptr);
        },
        per_group_choice(&CudnnConv::find_backward_filter));
  }
  run_backward_filter(c, in, out_grad, w_grad, b_grad);
}

void CudnnConv::run_backward_filter(const Choice& c, const float* in, const float* out_grad,
                                    float* w_grad, float* b_grad) {
  Context& ctx = Context::get();
  if (c.path == Path::direct)
    return direct_conv_backward_filter(shape_, in, out_grad, w_grad, b_grad);
  if (b_grad)
    bias_grad(shape_.num, shape_.out_channels, shape_.out_h * shape_.out_w, out_grad, b_grad);
  if (c.path == Path::gemm)
    return gemm_conv_backward_filter(shape_, c.use, c.chunk, in, out_grad, w_grad,
                                     ctx.workspace(c.bytes));
  const Descriptors& d = prepare(c);
  // beta 1: weight gradients accumulate, as on the CPU.
  const float one = 1.f;
  void* ws = c.bytes ? ctx.workspace(c.bytes) : nullptr;
  const GroupSteps g = group_steps(c);
  for (int i = 0; i < g.groups; ++i)
    check(cudnnConvolutionBackwardFilter(ctx.cudnn(), &one, d.in, in + i * g.in, d.out,
                                         out_grad + i * g.out, d.conv,
                                         static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), ws,
                                         c.bytes, &one, d.filter, w_grad + i * g.filter),
          "cudnnConvolutionBackwardFilter");
}

}  // namespace cortado::gpu
#endif  // CORTADO_WITH_CUDNN
