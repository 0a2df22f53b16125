#pragma once
// HDF5Data: rows of the HDF5 files listed in hdf5_data_param.source (one path a line,
// taken as given, relative to the working directory, as Caffe). Each file holds one
// dataset per top, named like the top, all with the same number of rows (the first
// axis); a top is (batch_size, the dataset's other axes). Forward copies batch_size rows
// in order, moving to the next file when one is exhausted and wrapping around at the end
// of the list; with shuffle, the file order and each file's rows are permuted again at
// every pass (drawn from the global generator, util/rng.hpp). One file is held in memory
// at a time. HDF5Output: writes its two bottoms to hdf5_output_param.file_name as the
// datasets "data" and "label", at every forward (the file holds the last batch).
#include <string>
#include <vector>

#include "hdf5/hdf5_io.hpp"
#include "layers/layer.hpp"

namespace cortado {

class HDF5DataLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "HDF5Data"; }
  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}

 private:
  // Loads file_order_[file_] into arrays_ and sets rows_ (permuted with shuffle).
  void load_file();
  // The next row: the next file (and a new pass) when this one is exhausted.
  void next();

  std::vector<std::string> files_;
  std::vector<size_t> file_order_;
  size_t file_ = 0;
  std::vector<HDF5Array> arrays_;             // the current file's datasets, one per top
  std::vector<std::vector<int>> row_shapes_;  // per top: the first file's other axes
  std::vector<size_t> rows_;                  // the current file's row order
  size_t row_ = 0;
};

class HDF5OutputLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "HDF5Output"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 0; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}
};

}  // namespace cortado
