#include "cuda/util/context.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <atomic>
#include <string>
#ifdef CORTADO_WITH_CUDNN
#include <cudnn.h>
#endif

#include "cuda/util/check.hpp"
#include "cuda/util/side_work.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

std::atomic<int> chosen_device{0};
std::atomic<Context*> the_context{nullptr};
std::mutex creation_mutex;
std::atomic<bool> deterministic_algorithms{false};
std::atomic<bool> tf32_math{false};

void check_cublas(cublasStatus_t status, int device, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(device_label(device),
              std::string(what) + " failed: " + cublasGetStatusString(status));
}

}  // namespace

Context::Context(int device) : device_(device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  // cudaFree(nullptr) forces the device's context to be created now, so that a
  // busy or prohibited device is reported here rather than at the first allocation.
  check(cudaFree(nullptr),
        "creating the CUDA context (is the device busy, or held by another process in exclusive "
        "mode?)");
  for (Lane& l : lanes_) {
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamDefault), "cudaStreamCreate");
    l.stream = s;
  }
  int l2 = 0;
  check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device), "reading the L2 cache size");
  l2_bytes_ = static_cast<size_t>(l2);
  int major = 0;
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
        "reading the compute capability");
  chains_ = major >= 9;
}

Context& Context::get() {
  Context* ctx = the_context.load(std::memory_order_acquire);
  if (!ctx) {
    std::lock_guard<std::mutex> lock(creation_mutex);
    ctx = the_context.load(std::memory_order_relaxed);
    if (!ctx) {
      ctx = new Context(chosen_device.load());  // never deleted: see ~Context
      the_context.store(ctx, std::memory_order_release);
    }
  }
  // Threads other than the creator start on device 0.
  thread_local bool bound = false;
  if (!bound) {
    check(cudaSetDevice(ctx->device_), "cudaSetDevice");
    bound = true;
  }
  return *ctx;
}

int Context::lane() { return on_side_stream() ? 1 : 0; }

cublasContext* Context::cublas() {
  std::lock_guard<std::mutex> lock(mutex_);
  Lane& l = lanes_[lane()];
  if (!l.cublas) {
    cublasHandle_t h = nullptr;
    check_cublas(cublasCreate(&h), device_, "cublasCreate");
    check_cublas(cublasSetStream(h, l.stream), device_, "cublasSetStream");
    check_cublas(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), device_, "cublasSetMathMode");
    // A workspace of our own, allocated once: without one, cuBLAS takes its split-K
    // scratch from cudaMallocAsync, which in a captured training step becomes an
    // allocation node and a free node around each such GEMM (8 of LeNet's 50 nodes on
    // an H100). 32 MiB is NVIDIA's recommendation for Hopper.
    constexpr size_t kCublasWorkspace = size_t{32} << 20;
    check_cublas(cublasSetWorkspace(h, device_malloc(kCublasWorkspace), kCublasWorkspace), device_,
                 "cublasSetWorkspace");
    l.cublas = h;
    l.cublas_tf32 = false;
  }
  const bool want_tf32 = tf32_math.load();
  if (want_tf32 != l.cublas_tf32) {
    check_cublas(
        cublasSetMathMode(l.cublas, want_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
        device_, "cublasSetMathMode");
    l.cublas_tf32 = want_tf32;
  }
  return l.cublas;
}

cudnnContext* Context::cudnn() {
#ifdef CORTADO_WITH_CUDNN
  std::lock_guard<std::mutex> lock(mutex_);
  Lane& l = lanes_[lane()];
  if (!l.cudnn) {
    cudnnHandle_t h = nullptr;
    cudnnStatus_t status = cudnnCreate(&h);
    if (status == CUDNN_STATUS_SUCCESS) status = cudnnSetStream(h, l.stream);
    if (status != CUDNN_STATUS_SUCCESS)
      throw Error(device_label(device_),
                  std::string("cuDNN could not start: ") + cudnnGetErrorString(status));
    l.cudnn = h;
  }
  return l.cudnn;
#else
  throw Error(device_label(device_),
              "this Cortado was built without cuDNN (cmake found no libcudnn; set CUDNN_ROOT)");
#endif
}

void* Context::workspace(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The limit first: a request over it is an Error even when the buffer is larger
  // already (grown under an earlier, higher limit).
  if (bytes > workspace_limit_)
    throw Error(device_label(device_), "a GPU workspace of " + format_bytes(bytes) +
                                           " was asked for; the limit is " +
                                           format_bytes(workspace_limit_));
  Lane& l = lanes_[lane()];
  if (bytes <= l.workspace_size) return l.workspace;
  // Kernels queued earlier may still read the old buffer.
  check(cudaStreamSynchronize(l.stream), "cudaStreamSynchronize");
  check(cudaFree(l.workspace), "cudaFree");
  l.workspace = nullptr;
  l.workspace_size = 0;
  l.workspace = device_malloc(bytes);
  l.workspace_size = bytes;
  return l.workspace;
}

std::array<const void*, 2> Context::workspaces() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {lanes_[0].workspace, lanes_[1].workspace};
}

void Context::set_workspace_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  workspace_limit_ = bytes;
}

void set_deterministic(bool on) { deterministic_algorithms.store(on); }
bool deterministic() { return deterministic_algorithms.load(); }

void set_tf32(bool on) { tf32_math.store(on); }
bool tf32() { return tf32_math.load(); }

void use_device(int id) {
  std::lock_guard<std::mutex> lock(creation_mutex);
  const Context* ctx = the_context.load();
  if (ctx && ctx->device() != id)
    throw Error(device_label(id), "this process already runs on " + device_label(ctx->device()) +
                                      " (one GPU per process: multi-GPU is not implemented)");
  chosen_device.store(id);
}

}  // namespace cortado::gpu
