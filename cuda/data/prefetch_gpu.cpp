// The data layers' GPU half (their CPU half is libcore/data/prefetch.cpp): the
// prefetch thread leaves each batch raw in a staging slot and starts its copy on the
// copy stream; here the compute stream waits for that copy, transforms the batch
// into the data top and copies the labels (one launch), without the host waiting
// for the device.
#include <memory>

#include "cuda/data/staging.hpp"
#include "cuda/data/transform.hpp"
#include "cuda/util/context.hpp"
#include "data/prefetch.hpp"
#include "util/error.hpp"

namespace cortado {
namespace gpu {

struct DataDevice {
  explicit DataDevice(const Transformer& transformer)
      : pool(StagingPool::create()),
        staging([pool = pool] { return pool->acquire(); }),
        transform(transformer) {}

  std::shared_ptr<StagingPool> pool;
  PrefetchingDataLayer::StagingFactory staging;  // holds the pool, not the layer
  DeviceTransform transform;
};

}  // namespace gpu

void PrefetchingDataLayer::forward_gpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  CORTADO_ASSERT(source_);
  gpu::Context& ctx = gpu::Context::get();
  if (!gpu_) gpu_ = std::make_shared<gpu::DataDevice>(source_->transformer());
  DataBatch batch = next_batch(&gpu_->staging);
  auto* slot = dynamic_cast<gpu::StagingSlot*>(batch.raw.buffer.get());
  CORTADO_ASSERT(slot && batch.data_shape.size() == 4);
  const int num = batch.data_shape[0];
  CORTADO_ASSERT(static_cast<size_t>(num) == batch.raw.items.size());
  top[0]->reshape(batch.data_shape);
  float* data = top[0]->mutable_gpu_data();
  float* labels = nullptr;
  if (top.size() > 1) {
    top[1]->reshape(std::vector<int>{num});
    labels = top[1]->mutable_gpu_data();
  }
  // Allocations are done above: from here to done_reading only work is queued, and if
  // queuing fails the slot is still marked as read once that work is, so that its next
  // upload cannot overwrite what a queued transform reads.
  slot->wait_for_upload(ctx.stream());
  try {
    gpu_->transform.run(slot->device_pixels(), slot->device_items(), num, batch.data_shape[1],
                        batch.data_shape[2], batch.data_shape[3], data, slot->device_labels(),
                        labels, ctx.stream());
  } catch (...) {
    slot->done_reading(ctx.stream());
    throw;
  }
  slot->done_reading(ctx.stream());
  handed_out(batch);
}

}  // namespace cortado
