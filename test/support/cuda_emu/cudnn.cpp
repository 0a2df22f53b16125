// cuda_emu's cuDNN: convolution descriptors checked as cuDNN checks them, and the
// three convolution directions computed on the CPU as column matrices and Eigen
// products (NCHW, also strided; groups, padding, stride, dilation), queued on the
// handle's stream.
// Results do not depend on the algorithm chosen.
#include <cudnn.h>

#include <Eigen/Core>
#include <cstring>
#include <vector>

#include "memory.hpp"
#include "queue.hpp"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  int n = 0, c = 0, h = 0, w = 0;
  int ns = 0, cs = 0, hs = 0, ws = 0;  // strides in floats (packed NCHW unless set by Ex)
  bool packed() const { return ws == 1 && hs == w && cs == h * w && ns == c * h * w; }
  // Floats from the first element to one past the last.
  size_t extent() const {
    return size_t(n - 1) * ns + size_t(c - 1) * cs + size_t(h - 1) * hs + size_t(w - 1) * ws + 1;
  }
};
struct cudnnFilterStruct {
  int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnConvolutionStruct {
  int pad_h = -1, pad_w = -1, stride_h = 0, stride_w = 0, dil_h = 0, dil_w = 0, groups = 1;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace {

struct Geometry {
  int n, c, h, w;  // conv input
  int k, oh, ow;   // conv output channels and size
  int kh, kw, ph, pw, sh, sw, dh, dw, groups;
  size_t in_count() const { return size_t(n) * c * h * w; }
  size_t out_count() const { return size_t(n) * k * oh * ow; }
  size_t filter_count() const { return size_t(k) * (c / groups) * kh * kw; }
  size_t columns_bytes() const { return sizeof(float) * size_t(c / groups) * kh * kw * oh * ow; }
};

bool output_dim(const cudnnConvolutionStruct* cv, const cudnnTensorStruct* x,
                const cudnnFilterStruct* f, int* oh, int* ow) {
  if (!cv || !x || !f || x->n <= 0 || f->k <= 0 || cv->stride_h <= 0 || cv->dil_h <= 0)
    return false;
  if (f->c * cv->groups != x->c || f->k % cv->groups != 0) return false;
  const int ekh = cv->dil_h * (f->h - 1) + 1, ekw = cv->dil_w * (f->w - 1) + 1;
  *oh = (x->h + 2 * cv->pad_h - ekh) / cv->stride_h + 1;
  *ow = (x->w + 2 * cv->pad_w - ekw) / cv->stride_w + 1;
  return *oh > 0 && *ow > 0;
}

// The geometry of x -(conv, f)-> y; false when the descriptors do not agree.
bool geometry(const cudnnTensorStruct* x, const cudnnFilterStruct* f,
              const cudnnConvolutionStruct* cv, const cudnnTensorStruct* y, Geometry* g) {
  int oh = 0, ow = 0;
  if (!y || !output_dim(cv, x, f, &oh, &ow)) return false;
  if (y->n != x->n || y->c != f->k || y->h != oh || y->w != ow) return false;
  *g = Geometry{x->n,         x->c,      x->h,      x->w,      f->k,      oh,
                ow,           f->h,      f->w,      cv->pad_h, cv->pad_w, cv->stride_h,
                cv->stride_w, cv->dil_h, cv->dil_w, cv->groups};
  return true;
}

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRows = Eigen::Map<const RowMatrix>;
using Rows = Eigen::Map<RowMatrix>;

// Group grp of image n as columns: row (ic, i, j) of cg * kh * kw, column (y, x) of oh * ow.
void to_columns(const Geometry& g, const float* in, int n, int grp, float* cols) {
  const int cg = g.c / g.groups;
  for (int ic = 0; ic < cg; ++ic)
    for (int i = 0; i < g.kh; ++i)
      for (int j = 0; j < g.kw; ++j) {
        const float* plane = in + (size_t(n) * g.c + size_t(grp) * cg + ic) * g.h * g.w;
        float* row = cols + ((size_t(ic) * g.kh + i) * g.kw + j) * g.oh * g.ow;
        for (int y = 0; y < g.oh; ++y) {
          const int iy = y * g.sh - g.ph + i * g.dh;
          for (int x = 0; x < g.ow; ++x) {
            const int ix = x * g.sw - g.pw + j * g.dw;
            row[y * g.ow + x] =
                iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? plane[iy * g.w + ix] : 0.f;
          }
        }
      }
}

// The transpose of to_columns: columns added back into the image's group.
void add_columns(const Geometry& g, const float* cols, int n, int grp, float* in) {
  const int cg = g.c / g.groups;
  for (int ic = 0; ic < cg; ++ic)
    for (int i = 0; i < g.kh; ++i)
      for (int j = 0; j < g.kw; ++j) {
        float* plane = in + (size_t(n) * g.c + size_t(grp) * cg + ic) * g.h * g.w;
        const float* row = cols + ((size_t(ic) * g.kh + i) * g.kw + j) * g.oh * g.ow;
        for (int y = 0; y < g.oh; ++y) {
          const int iy = y * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (int x = 0; x < g.ow; ++x) {
            const int ix = x * g.sw - g.pw + j * g.dw;
            if (ix >= 0 && ix < g.w) plane[iy * g.w + ix] += row[y * g.ow + x];
          }
        }
      }
}

// Calls f(n, grp, columns, rows, spatial, filters-per-group) for every image and group.
template <class F>
void each_group(const Geometry& g, F f) {
  const int rows = g.c / g.groups * g.kh * g.kw, spatial = g.oh * g.ow, kg = g.k / g.groups;
  std::vector<float> cols(size_t(rows) * spatial);
  for (int n = 0; n < g.n; ++n)
    for (int grp = 0; grp < g.groups; ++grp) f(n, grp, cols.data(), rows, spatial, kg);
}

// dst = alpha * acc + beta * dst; with beta == 0 dst is not read (it may hold NaNs).
void blend(float* dst, const std::vector<float>& acc, float alpha, float beta) {
  for (size_t i = 0; i < acc.size(); ++i)
    dst[i] = alpha * acc[i] + (beta == 0.f ? 0.f : beta * dst[i]);
}

bool on_device(const void* p, size_t count) { return cudaemu::is_device(p, count * sizeof(float)); }

// A tensor that may be strided (one group's channels of a whole batch) as packed NCHW.
std::vector<float> gather(const cudnnTensorStruct& t, const float* src) {
  std::vector<float> out(size_t(t.n) * t.c * t.h * t.w);
  size_t i = 0;
  for (int n = 0; n < t.n; ++n)
    for (int c = 0; c < t.c; ++c)
      for (int y = 0; y < t.h; ++y)
        for (int x = 0; x < t.w; ++x)
          out[i++] = src[size_t(n) * t.ns + size_t(c) * t.cs + size_t(y) * t.hs + size_t(x) * t.ws];
  return out;
}

// blend() into a tensor that may be strided.
void blend_into(const cudnnTensorStruct& t, float* dst, const std::vector<float>& acc, float alpha,
                float beta) {
  size_t i = 0;
  for (int n = 0; n < t.n; ++n)
    for (int c = 0; c < t.c; ++c)
      for (int y = 0; y < t.h; ++y)
        for (int x = 0; x < t.w; ++x, ++i) {
          float& d = dst[size_t(n) * t.ns + size_t(c) * t.cs + size_t(y) * t.hs + size_t(x) * t.ws];
          d = alpha * acc[i] + (beta == 0.f ? 0.f : beta * d);
        }
}

// Workspace each algorithm needs (the second of each pair wants the columns).
size_t workspace_of(const Geometry& g, int algo, bool filter_direction) {
  const bool needs = filter_direction ? algo == 1 : algo != 0;
  return needs ? g.columns_bytes() : 0;
}

bool workspace_ok(const Geometry& g, int algo, bool filter_direction, void* ws, size_t bytes) {
  const size_t need = workspace_of(g, algo, filter_direction);
  if (need == 0) return true;
  if (bytes < need || !cudaemu::is_device(ws, need)) return false;
  return true;
}

// A convolution call's pointers: the conv input, filter and output tensors whole on
// the device, and the workspace the algorithm needs.
bool valid_call(const Geometry& g, const cudnnTensorStruct* in_desc, const void* in,
                const void* filter, const cudnnTensorStruct* out_desc, const void* out, int algo,
                bool filter_direction, void* ws, size_t bytes) {
  return on_device(in, in_desc->extent()) && on_device(filter, g.filter_count()) &&
         on_device(out, out_desc->extent()) && workspace_ok(g, algo, filter_direction, ws, bytes);
}

cudnnStatus_t queue(cudnnHandle_t h, std::function<void()> op) {
  return cudaemu::submit(h->stream, std::move(op)) == cudaSuccess ? CUDNN_STATUS_SUCCESS
                                                                  : CUDNN_STATUS_EXECUTION_FAILED;
}

// Find and Get list the same algorithms, fastest first, each in both math types.
template <class Perf, class Algo>
cudnnStatus_t list(const Geometry& g, bool filter_direction, Algo fast, Algo slow, bool fast_det,
                   bool slow_det, int requested, int* returned, Perf* perf) {
  const Algo algos[] = {fast, fast, slow, slow};
  const cudnnMathType_t maths[] = {CUDNN_DEFAULT_MATH, CUDNN_FMA_MATH, CUDNN_DEFAULT_MATH,
                                   CUDNN_FMA_MATH};
  const bool det[] = {fast_det, fast_det, slow_det, slow_det};
  int n = 0;
  for (int i = 0; i < 4 && n < requested; ++i, ++n) {
    perf[n] = Perf{};
    perf[n].algo = algos[i];
    perf[n].status = CUDNN_STATUS_SUCCESS;
    perf[n].time = 0.5f * (i + 1);
    perf[n].memory = workspace_of(g, static_cast<int>(algos[i]), filter_direction);
    perf[n].determinism = det[i] ? CUDNN_DETERMINISTIC : CUDNN_NON_DETERMINISTIC;
    perf[n].mathType = maths[i];
  }
  *returned = n;
  return CUDNN_STATUS_SUCCESS;
}

// cudnnFind runs and times kernels, synchronising: not allowed while capturing.
cudnnStatus_t refuse_if_capturing() {
  return cudaemu::refuse_if_capturing() == cudaSuccess ? CUDNN_STATUS_SUCCESS
                                                       : CUDNN_STATUS_EXECUTION_FAILED;
}

}  // namespace

size_t cudnnGetVersion() { return CUDNN_VERSION; }

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS:
      return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED:
      return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM:
      return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "CUDNN_STATUS_EXECUTION_FAILED";
  }
  return "CUDNN_STATUS_UNKNOWN";
}

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
  *handle = new cudnnContext;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  delete handle;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t* stream) {
  *stream = handle->stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) {
  *d = new cudnnTensorStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  *d = cudnnTensorStruct{n, c, h, w, c * h * w, h * w, w, 1};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t d, cudnnDataType_t type, int n,
                                           int c, int h, int w, int n_stride, int c_stride,
                                           int h_stride, int w_stride) {
  if (type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || n_stride <= 0 || c_stride <= 0 || h_stride <= 0 ||
      w_stride <= 0)
    return CUDNN_STATUS_BAD_PARAM;
  *d = cudnnTensorStruct{n, c, h, w, n_stride, c_stride, h_stride, w_stride};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) {
  *d = new cudnnFilterStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  *d = cudnnFilterStruct{k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  *d = new cudnnConvolutionStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w,
                                              int u, int v, int dilation_h, int dilation_w,
                                              cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute_type) {
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0)
    return CUDNN_STATUS_BAD_PARAM;
  // Caffe's layers are cross-correlations; a flipped kernel would be our mistake.
  if (mode != CUDNN_CROSS_CORRELATION || compute_type != CUDNN_DATA_FLOAT)
    return CUDNN_STATUS_NOT_SUPPORTED;
  d->pad_h = pad_h;
  d->pad_w = pad_w;
  d->stride_h = u;
  d->stride_w = v;
  d->dil_h = dilation_h;
  d->dil_w = dilation_w;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups) {
  if (groups <= 0) return CUDNN_STATUS_BAD_PARAM;
  d->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) {
  d->math = m;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t conv,
                                                    cudnnTensorDescriptor_t in,
                                                    cudnnFilterDescriptor_t filter, int* n, int* c,
                                                    int* h, int* w) {
  if (!output_dim(conv, in, filter, h, w)) return CUDNN_STATUS_BAD_PARAM;
  *n = in->n;
  *c = filter->k;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 8;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 6;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 7;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, cudnnTensorDescriptor_t x,
                                                     cudnnFilterDescriptor_t w,
                                                     cudnnConvolutionDescriptor_t conv,
                                                     cudnnTensorDescriptor_t y, int requested,
                                                     int* returned,
                                                     cudnnConvolutionFwdAlgoPerf_t* perf) {
  Geometry g{};
  if (!geometry(x, w, conv, y, &g)) return CUDNN_STATUS_BAD_PARAM;
  return list(g, false, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
              true, true, requested, returned, perf);
}
cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t h, cudnnTensorDescriptor_t x,
                                                   cudnnFilterDescriptor_t w,
                                                   cudnnConvolutionDescriptor_t conv,
                                                   cudnnTensorDescriptor_t y, int requested,
                                                   int* returned,
                                                   cudnnConvolutionFwdAlgoPerf_t* perf) {
  if (cudnnStatus_t s = refuse_if_capturing()) return s;
  return cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, conv, y, requested, returned, perf);
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t, cudnnFilterDescriptor_t w,
                                                          cudnnTensorDescriptor_t dy,
                                                          cudnnConvolutionDescriptor_t conv,
                                                          cudnnTensorDescriptor_t dx, int requested,
                                                          int* returned,
                                                          cudnnConvolutionBwdDataAlgoPerf_t* perf) {
  Geometry g{};
  if (!geometry(dx, w, conv, dy, &g)) return CUDNN_STATUS_BAD_PARAM;
  return list(g, false, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, true,
              true, requested, returned, perf);
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t h, cudnnFilterDescriptor_t w,
                                                        cudnnTensorDescriptor_t dy,
                                                        cudnnConvolutionDescriptor_t conv,
                                                        cudnnTensorDescriptor_t dx, int requested,
                                                        int* returned,
                                                        cudnnConvolutionBwdDataAlgoPerf_t* perf) {
  if (cudnnStatus_t s = refuse_if_capturing()) return s;
  return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, dy, conv, dx, requested, returned, perf);
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t conv, cudnnFilterDescriptor_t dw, int requested, int* returned,
    cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
  Geometry g{};
  if (!geometry(x, dw, conv, dy, &g)) return CUDNN_STATUS_BAD_PARAM;
  // The fastest is not deterministic (atomics), as cuDNN's ALGO_0 is.
  return list(g, true, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
              false, true, requested, returned, perf);
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(
    cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t conv, cudnnFilterDescriptor_t dw, int requested, int* returned,
    cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
  if (cudnnStatus_t s = refuse_if_capturing()) return s;
  return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, dy, conv, dw, requested, returned,
                                                       perf);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, cudnnTensorDescriptor_t x,
                                                      cudnnFilterDescriptor_t w,
                                                      cudnnConvolutionDescriptor_t conv,
                                                      cudnnTensorDescriptor_t y,
                                                      cudnnConvolutionFwdAlgo_t algo,
                                                      size_t* bytes) {
  Geometry g{};
  if (!geometry(x, w, conv, y, &g)) return CUDNN_STATUS_BAD_PARAM;
  *bytes = workspace_of(g, algo, false);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, cudnnFilterDescriptor_t w,
                                                           cudnnTensorDescriptor_t dy,
                                                           cudnnConvolutionDescriptor_t conv,
                                                           cudnnTensorDescriptor_t dx,
                                                           cudnnConvolutionBwdDataAlgo_t algo,
                                                           size_t* bytes) {
  Geometry g{};
  if (!geometry(dx, w, conv, dy, &g)) return CUDNN_STATUS_BAD_PARAM;
  *bytes = workspace_of(g, algo, false);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(
    cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t conv, cudnnFilterDescriptor_t dw,
    cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
  Geometry g{};
  if (!geometry(x, dw, conv, dy, &g)) return CUDNN_STATUS_BAD_PARAM;
  *bytes = workspace_of(g, algo, true);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void* alpha,
                                      cudnnTensorDescriptor_t x_desc, const void* x,
                                      cudnnFilterDescriptor_t w_desc, const void* w,
                                      cudnnConvolutionDescriptor_t conv,
                                      cudnnConvolutionFwdAlgo_t algo, void* workspace,
                                      size_t workspace_bytes, const void* beta,
                                      cudnnTensorDescriptor_t y_desc, void* y) {
  Geometry g{};
  if (!h || !geometry(x_desc, w_desc, conv, y_desc, &g)) return CUDNN_STATUS_BAD_PARAM;
  if (!valid_call(g, x_desc, x, w, y_desc, y, algo, false, workspace, workspace_bytes))
    return CUDNN_STATUS_BAD_PARAM;
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  const auto* f = static_cast<const float*>(w);
  auto* out = static_cast<float*>(y);
  const cudnnTensorStruct xt = *x_desc, yt = *y_desc;
  return queue(h, [=] {
    const std::vector<float> in = gather(xt, static_cast<const float*>(x));
    std::vector<float> acc(g.out_count(), 0.f);
    each_group(g, [&](int n, int grp, float* cols, int rows, int spatial, int kg) {
      to_columns(g, in.data(), n, grp, cols);
      Rows(acc.data() + (size_t(n) * g.k + size_t(grp) * kg) * spatial, kg, spatial).noalias() =
          ConstRows(f + size_t(grp) * kg * rows, kg, rows) * ConstRows(cols, rows, spatial);
    });
    blend_into(yt, out, acc, a, b);
  });
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void* alpha,
                                           cudnnFilterDescriptor_t w_desc, const void* w,
                                           cudnnTensorDescriptor_t dy_desc, const void* dy,
                                           cudnnConvolutionDescriptor_t conv,
                                           cudnnConvolutionBwdDataAlgo_t algo, void* workspace,
                                           size_t workspace_bytes, const void* beta,
                                           cudnnTensorDescriptor_t dx_desc, void* dx) {
  Geometry g{};
  if (!h || !geometry(dx_desc, w_desc, conv, dy_desc, &g)) return CUDNN_STATUS_BAD_PARAM;
  if (!valid_call(g, dx_desc, dx, w, dy_desc, dy, algo, false, workspace, workspace_bytes))
    return CUDNN_STATUS_BAD_PARAM;
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  const auto* f = static_cast<const float*>(w);
  auto* ig = static_cast<float*>(dx);
  const cudnnTensorStruct dxt = *dx_desc, dyt = *dy_desc;
  return queue(h, [=] {
    const std::vector<float> og = gather(dyt, static_cast<const float*>(dy));
    std::vector<float> acc(g.in_count(), 0.f);
    each_group(g, [&](int n, int grp, float* cols, int rows, int spatial, int kg) {
      Rows(cols, rows, spatial).noalias() =
          ConstRows(f + size_t(grp) * kg * rows, kg, rows).transpose() *
          ConstRows(og.data() + (size_t(n) * g.k + size_t(grp) * kg) * spatial, kg, spatial);
      add_columns(g, cols, n, grp, acc.data());
    });
    blend_into(dxt, ig, acc, a, b);
  });
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void* alpha,
                                             cudnnTensorDescriptor_t x_desc, const void* x,
                                             cudnnTensorDescriptor_t dy_desc, const void* dy,
                                             cudnnConvolutionDescriptor_t conv,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void* workspace,
                                             size_t workspace_bytes, const void* beta,
                                             cudnnFilterDescriptor_t dw_desc, void* dw) {
  Geometry g{};
  if (!h || !geometry(x_desc, dw_desc, conv, dy_desc, &g)) return CUDNN_STATUS_BAD_PARAM;
  if (!valid_call(g, x_desc, x, dw, dy_desc, dy, algo, true, workspace, workspace_bytes))
    return CUDNN_STATUS_BAD_PARAM;
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  auto* fg = static_cast<float*>(dw);
  const cudnnTensorStruct xt = *x_desc, dyt = *dy_desc;
  return queue(h, [=] {
    const std::vector<float> in = gather(xt, static_cast<const float*>(x));
    const std::vector<float> og = gather(dyt, static_cast<const float*>(dy));
    std::vector<float> acc(g.filter_count(), 0.f);
    each_group(g, [&](int n, int grp, float* cols, int rows, int spatial, int kg) {
      to_columns(g, in.data(), n, grp, cols);
      Rows(acc.data() + size_t(grp) * kg * rows, kg, rows).noalias() +=
          ConstRows(og.data() + (size_t(n) * g.k + size_t(grp) * kg) * spatial, kg, spatial) *
          ConstRows(cols, rows, spatial).transpose();
    });
    blend(fg, acc, a, b);
  });
}
