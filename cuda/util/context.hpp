#pragma once
// The process's one GPU context: the device every GPU call uses, a stream all our
// work is queued on, the cuBLAS and cuDNN handles bound to that stream, and the
// convolutions' scratch workspace, which grows up to a byte limit (--gpu-workspace).
// Beside them a side stream with handles and a workspace of its own, for the work a
// SideWork scope (cuda/util/side_work.hpp) sends there: while this thread is in one,
// stream(), cublas(), cudnn() and workspace() are the side stream's.
// Created on first use, for the device chosen by use_device() (0 if none was).
// One device per process: multi-GPU is not implemented.
#include <array>
#include <cstddef>
#include <mutex>

// The CUDA libraries' handle types, declared here so that this header needs
// neither cublas_v2.h nor cudnn.h (which a build without cuDNN lacks).
struct CUstream_st;
struct cublasContext;
struct cudnnContext;

namespace cortado::gpu {

class Context {
 public:
  // The context, created on first use; also makes its device current on the
  // calling thread (cudaSetDevice is per thread, and data threads call us too).
  static Context& get();

  int device() const { return device_; }
  // A blocking stream: the legacy default stream (plain cudaMemcpy) waits for it.
  // In a SideWork scope: the side stream (also blocking).
  CUstream_st* stream() const { return lanes_[lane()].stream; }
  // This thread's stream now: 0 the main one, 1 the side one (inside a SideWork scope).
  // Per-stream scratch elsewhere is indexed by it.
  static int lane();
  CUstream_st* main_stream() const { return lanes_[0].stream; }
  CUstream_st* side_stream() const { return lanes_[1].stream; }
  // TF32 off unless set_tf32(true): FP32 products stay FP32, as on the CPU.
  cublasContext* cublas();
  cudnnContext* cudnn();    // an Error in a build without cuDNN

  // At least `bytes` of device scratch memory, valid until the next call on the same
  // stream; more than the limit is an Error naming both. Each stream has its own.
  void* workspace(size_t bytes);
  // Both streams' scratch buffers as they are now (a captured graph holds their addresses).
  std::array<const void*, 2> workspaces();
  void set_workspace_limit(size_t bytes);
  size_t workspace_limit() const { return workspace_limit_; }
  // The device's L2 cache in bytes (scratch that fits in it is rewritten there, not
  // in device memory: the chunked convolutions try a chunk that fits).
  size_t l2_bytes() const { return l2_bytes_; }
  // Whether the device can chain kernel launches (compute capability 9.0 or more: see
  // cuda/util/chained.cuh).
  bool chains() const { return chains_; }

 private:
  explicit Context(int device);
  ~Context() = delete;  // lives until exit: CUDA tears its state down before static destructors

  // What each stream has: [0] the main one, [1] the side one.
  struct Lane {
    CUstream_st* stream = nullptr;
    cublasContext* cublas = nullptr;
    bool cublas_tf32 = false;  // the math mode the handle has now
    cudnnContext* cudnn = nullptr;
    void* workspace = nullptr;
    size_t workspace_size = 0;
  };

  int device_;
  Lane lanes_[2];
  size_t workspace_limit_ = size_t{1} << 30;
  size_t l2_bytes_ = 0;
  bool chains_ = false;
  std::mutex mutex_;  // handles and workspace are created lazily from any thread
};

// Process-wide: restricts cuDNN's algorithm choice to deterministic algorithms (the
// hook for a --deterministic flag). Read whenever a convolution looks up its
// algorithms (chosen once per shape and setting). Needs no device.
void set_deterministic(bool on);
bool deterministic();

// Process-wide: TF32 tensor-core math for FP32 products (the --tf32 flag). cuBLAS
// follows it from the next cublas() call; convolution layers read it. Needs no device.
void set_tf32(bool on);
bool tf32();

// Chooses the device the context will use. Before the context exists any id is
// taken; afterwards only its own (one device per process), else an Error.
void use_device(int id);

}  // namespace cortado::gpu
