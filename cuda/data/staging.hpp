#pragma once
// Staging for raw batches (libcore/data/raw_batch.hpp): page-locked host buffers the
// prefetch thread fills, each copied to device memory of its own on the pool's copy
// stream, so the next batch's copy overlaps the current iteration's kernels.
//
// One round of a slot:
//   prefetch thread  acquire(): waits until the slot's last copy has read its host
//                    memory; the source fills it; upload(): the copy stream waits until
//                    the compute stream has finished reading the slot's device memory
//                    (last round), copies, records `copied`.
//   forward_gpu      wait_for_upload(): the compute stream waits on `copied`; the
//                    transform reads the device memory; done_reading() records
//                    `consumed`; the batch's end hands the slot back to the pool.
// Neither side waits on the host for the other in the steady state.
#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>
#include <vector>

#include "data/raw_batch.hpp"

namespace cortado::gpu {

class StagingSlot final : public StagingBuffer {
 public:
  explicit StagingSlot(cudaStream_t copy_stream);
  ~StagingSlot() override;
  StagingSlot(const StagingSlot&) = delete;
  StagingSlot& operator=(const StagingSlot&) = delete;

  uint8_t* reserve(size_t bytes, size_t keep) override;
  void upload(const DataBatch& batch) override;

  // Before the host writes a new round: the last copy has left the host memory.
  void begin_round();
  // On the compute stream: the work queued after this waits for the upload.
  void wait_for_upload(cudaStream_t stream) const;
  // On the compute stream, after the last work that reads the device memory.
  void done_reading(cudaStream_t stream);

  // The uploaded batch on the device (valid after upload()).
  const uint8_t* device_pixels() const { return device_; }
  const RawItem* device_items() const;
  const float* device_labels() const;

 private:
  cudaStream_t copy_stream_;
  cudaEvent_t copied_ = nullptr, consumed_ = nullptr;
  uint8_t* host_ = nullptr;  // page-locked: pixels, then items, then labels
  size_t host_size_ = 0;
  uint8_t* device_ = nullptr;  // the same layout
  size_t device_size_ = 0;
  size_t items_at_ = 0, labels_at_ = 0;  // byte offsets in both
};

class StagingPool : public std::enable_shared_from_this<StagingPool> {
 public:
  // Creates the copy stream on the current context's device.
  static std::shared_ptr<StagingPool> create();
  ~StagingPool();
  StagingPool(const StagingPool&) = delete;
  StagingPool& operator=(const StagingPool&) = delete;

  // A free slot (a new one when none is), ready for the host to write; it comes back
  // to the pool when its last owner lets go. Called on the prefetch thread.
  std::shared_ptr<StagingBuffer> acquire();

 private:
  StagingPool();
  void release(StagingSlot* slot);

  cudaStream_t copy_stream_ = nullptr;
  std::mutex mutex_;  // acquire (prefetch thread) and release (any thread)
  std::vector<std::unique_ptr<StagingSlot>> free_;
};

}  // namespace cortado::gpu
