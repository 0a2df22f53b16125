#include "cuda/data/staging.hpp"

#include <algorithm>
#include <cstring>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "data/prefetch.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

size_t aligned(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Room for `bytes`, growing by half at least so that a batch growing item by item
// does not reallocate each time.
size_t grown(size_t have, size_t bytes) { return std::max(bytes, have + have / 2); }

// For destructors, which also run at exit after CUDA has shut down: never throw.
void quietly(cudaError_t status) {
  if (status != cudaSuccess) cudaGetLastError();
}

}  // namespace

StagingSlot::StagingSlot(cudaStream_t copy_stream) : copy_stream_(copy_stream) {
  check(cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming), "cudaEventCreate");
  check(cudaEventCreateWithFlags(&consumed_, cudaEventDisableTiming), "cudaEventCreate");
}

StagingSlot::~StagingSlot() {
  // A copy or a kernel may still use the memory (a read-ahead batch dropped).
  if (copied_) quietly(cudaEventSynchronize(copied_));
  if (consumed_) quietly(cudaEventSynchronize(consumed_));
  if (host_) quietly(cudaFreeHost(host_));
  if (device_) quietly(cudaFree(device_));
  if (copied_) quietly(cudaEventDestroy(copied_));
  if (consumed_) quietly(cudaEventDestroy(consumed_));
}

void StagingSlot::begin_round() {
  // An event never recorded stands for no work: this returns at once.
  check(cudaEventSynchronize(copied_), "waiting for a batch's copy to the GPU");
}

uint8_t* StagingSlot::reserve(size_t bytes, size_t keep) {
  if (bytes <= host_size_) return host_;
  const size_t size = grown(host_size_, bytes);
  void* p = nullptr;
  const cudaError_t status = cudaHostAlloc(&p, size, cudaHostAllocDefault);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw Error(device_label(Context::get().device()),
                "out of page-locked host memory allocating " + format_bytes(size) +
                    " for a data batch; use a smaller batch_size or data_param.prefetch");
  }
  check(status, "cudaHostAlloc");
  if (keep > 0) std::memcpy(p, host_, std::min(keep, host_size_));
  // begin_round() made sure no copy reads the old buffer any more.
  if (host_) check(cudaFreeHost(host_), "cudaFreeHost");
  host_ = static_cast<uint8_t*>(p);
  host_size_ = size;
  return host_;
}

void StagingSlot::upload(const DataBatch& batch) {
  const RawBatch& raw = batch.raw;
  CORTADO_ASSERT(raw.items.size() == batch.labels.size());
  items_at_ = aligned(raw.bytes, 16);
  labels_at_ = items_at_ + raw.items.size() * sizeof(RawItem);
  const size_t total = labels_at_ + batch.labels.size() * sizeof(float);
  uint8_t* host = reserve(total, raw.bytes);
  if (!raw.items.empty())
    std::memcpy(host + items_at_, raw.items.data(), raw.items.size() * sizeof(RawItem));
  if (!batch.labels.empty())
    std::memcpy(host + labels_at_, batch.labels.data(), batch.labels.size() * sizeof(float));
  if (total > device_size_) {
    // The compute stream may still read the old device memory (last round).
    check(cudaEventSynchronize(consumed_), "waiting for the GPU to finish a batch");
    if (device_) check(cudaFree(device_), "cudaFree");
    device_ = nullptr;
    device_size_ = 0;
    const size_t size = grown(0, total);
    device_ = static_cast<uint8_t*>(device_malloc(size));
    device_size_ = size;
  }
  // The copy overwrites device memory the last round's transform may still read.
  check(cudaStreamWaitEvent(copy_stream_, consumed_, 0), "cudaStreamWaitEvent");
  check(cudaMemcpyAsync(device_, host_, total, cudaMemcpyHostToDevice, copy_stream_),
        "copying a data batch to the GPU");
  check(cudaEventRecord(copied_, copy_stream_), "cudaEventRecord");
}

void StagingSlot::wait_for_upload(cudaStream_t stream) const {
  check(cudaStreamWaitEvent(stream, copied_, 0), "cudaStreamWaitEvent");
}

void StagingSlot::done_reading(cudaStream_t stream) {
  check(cudaEventRecord(consumed_, stream), "cudaEventRecord");
}

const RawItem* StagingSlot::device_items() const {
  return reinterpret_cast<const RawItem*>(device_ + items_at_);
}

const float* StagingSlot::device_labels() const {
  return reinterpret_cast<const float*>(device_ + labels_at_);
}

std::shared_ptr<StagingPool> StagingPool::create() {
  return std::shared_ptr<StagingPool>(new StagingPool());
}

StagingPool::StagingPool() {
  Context::get();  // the device
  cudaStream_t s = nullptr;
  // Non-blocking: the copies must not wait for work on the legacy default stream.
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  copy_stream_ = s;
}

StagingPool::~StagingPool() {
  free_.clear();  // the slots first: they wait for copies on the stream
  if (copy_stream_) quietly(cudaStreamDestroy(copy_stream_));
}

std::shared_ptr<StagingBuffer> StagingPool::acquire() {
  Context::get();  // binds the calling (prefetch) thread to the device
  std::unique_ptr<StagingSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      slot = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!slot) slot = std::make_unique<StagingSlot>(copy_stream_);
  slot->begin_round();
  // Back to the pool, not deleted, when the batch that holds it goes.
  std::shared_ptr<StagingPool> self = shared_from_this();
  return std::shared_ptr<StagingBuffer>(
      slot.release(), [self](StagingBuffer* b) { self->release(static_cast<StagingSlot*>(b)); });
}

void StagingPool::release(StagingSlot* slot) {
  // A deleter must not throw: a slot that cannot be kept is freed.
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.emplace_back(slot);
  } catch (...) {
    delete slot;
  }
}

}  // namespace cortado::gpu
