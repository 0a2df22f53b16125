#pragma once
// Data: batches of Datums from an LMDB (data_param.source, batch_size), in key order,
// starting over after the last record, read ahead on a prefetch thread and passed
// through the transformer (transform_param). Tops: data (N, C, H, W after the crop)
// and, optionally, label (N). backend must be LMDB (LEVELDB is not supported).
// Its position and random state can be saved and restored exactly (see prefetch.hpp).
#include "data/prefetch.hpp"

namespace cortado {

class DataLayer : public PrefetchingDataLayer {
 public:
  using PrefetchingDataLayer::PrefetchingDataLayer;
  const char* type() const override { return "Data"; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
};

}  // namespace cortado
