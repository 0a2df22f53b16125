#pragma once
// The base of the data layers that read ahead on a thread (Data, ImageData).
//
// A prefetch thread fills up to data_param.prefetch batches (Caffe's default 4)
// while the net runs; forward hands out the oldest. Each batch carries the
// reading state *after* it (source position and random generator states), and the
// layer's state is that of the last batch handed out, never the thread's
// read-ahead. So save_state() taken between iterations, restored into a fresh
// layer over the same source, makes the next batch identical to the one the
// uninterrupted run receives: what a solver snapshot needs to resume exactly.
//
// The solver finds these layers with dynamic_cast<PrefetchingDataLayer*> and calls
// seed(random_seed) before training, save_state() at snapshots and restore_state()
// on resume. The state is a short text (a few KB), its first line naming the layer type.
//
// The thread touches only the BatchSource and the queue, never the layer object, so
// a layer may be destroyed while its thread runs (the base destructor stops it).
//
// In GPU mode (CUDA builds, cuda/data/prefetch_gpu.cpp) the thread leaves each batch
// raw in page-locked memory and starts its copy to the device on a stream of its own;
// forward_gpu transforms it there (see data/raw_batch.hpp). Switching between the modes
// restarts the thread from the last batch handed out, so the batches stay the same.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "data/raw_batch.hpp"
#include "layers/layer.hpp"

namespace cortado {

class Transformer;
#ifdef CORTADO_WITH_CUDA
namespace gpu {
struct DataDevice;
}
#endif

struct DataBatch {
  std::vector<int> data_shape;  // N, C, H, W
  std::vector<float> data, labels;
  RawBatch raw;  // GPU mode: filled instead of `data`
  std::string state_after;
  size_t position_after = 0;
  std::exception_ptr error;
};

// What a data layer reads from. Used by one thread at a time: the prefetch thread
// while it runs, the layer otherwise.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Fills one batch from the reading position and advances it. When batch.raw.buffer
  // is set, fills batch.raw (RawBatch::add) instead of batch.data.
  virtual void load_batch(DataBatch& batch) = 0;
  // Its transformer. Only the parts fixed at construction (mean, scale) may be read
  // while the prefetch thread runs.
  virtual const Transformer& transformer() const = 0;
  // The reading position and random generator states, as text, and back.
  virtual std::string state() const = 0;
  virtual void set_state(const std::string& state) = 0;
  // Index of the next record (in key order, or in the epoch's order) to read.
  virtual size_t position() const = 0;
  // `fresh`: nothing was handed out or restored yet (rand_skip may apply).
  virtual void reseed(uint64_t seed, bool fresh) = 0;
};

class PrefetchingDataLayer : public Layer {
 public:
  // Makes the staging buffer of each raw batch (GPU mode).
  using StagingFactory = std::function<std::shared_ptr<StagingBuffer>()>;

  explicit PrefetchingDataLayer(const caffe::LayerParameter& param);
  ~PrefetchingDataLayer() override;

  int exact_num_bottom_blobs() const override { return 0; }
  // Tops take each batch's shape in forward.
  void reshape(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}

  // Seeds the layer's random generators (crop, mirror, shuffle, rand_skip). Read-ahead
  // batches are dropped; the next batch starts where the last handed-out one ended.
  // A layer never seeded behaves as seed(0).
  void seed(uint64_t seed);
  // Where the next batch starts, as text; restore_state() takes it back (a malformed
  // state, or one from another layer type or a shorter source, is an Error).
  std::string save_state() const { return handed_state_; }
  void restore_state(const std::string& state);
  // Index of the next record (Data: in key order; ImageData: in this epoch's order)
  // the net will receive.
  size_t position() const { return handed_position_; }

 protected:
  // Subclasses call this at the end of layer_setup; reading starts at the source's position.
  void set_source(std::unique_ptr<BatchSource> source);

  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}

  // The oldest prefetched batch: transformed on the host when `staging` is null, else
  // raw in a buffer from it, its upload started. A batch that failed is rethrown here.
  DataBatch next_batch(const StagingFactory* staging);
  // Makes the batch's reading state the layer's: call once the tops hold it.
  void handed_out(DataBatch& batch);

  // The layer's transform_param, with the legacy preprocessing fields of its
  // data_param / image_data_param (scale, mean_file, crop_size, mirror) folded in.
  caffe::TransformationParameter effective_transform_param() const;

 private:
  void start_prefetch(const StagingFactory* staging);
  void stop_prefetch();
  void run();

  std::unique_ptr<BatchSource> source_;
  StagingFactory staging_;  // set while the thread runs in GPU mode
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable cv_;  // both "a batch is ready" and "a slot is free"
  std::deque<DataBatch> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: joined before the members above go away
  bool fresh_ = true;
  std::string handed_state_;
  size_t handed_position_ = 0;

#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }

 protected:
  // cuda/data/prefetch_gpu.cpp: the transform on the device, from raw batches.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;

 private:
  std::shared_ptr<gpu::DataDevice> gpu_;  // staging buffers, the mean on the device
#endif
};

// State text: a first line naming the kind of source, then "key value" lines.
std::string format_data_state(const std::string& kind,
                               const std::vector<std::pair<std::string, std::string>>& fields);
// A state of another kind, or a malformed one, is an Error prefixed with `where`.
std::map<std::string, std::string> parse_data_state(const std::string& text,
                                                    const std::string& kind,
                                                    const std::string& where);

}  // namespace cortado
