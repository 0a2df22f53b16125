#include "layers/hdf5_data.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/rng.hpp"

namespace cortado {
namespace {

std::string dims_text(const std::vector<int>& shape) {
  std::string s;
  for (int d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "a scalar" : s;
}

}  // namespace

void HDF5DataLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& top) {
  const caffe::HDF5DataParameter& p = param_.hdf5_data_param();
  if (p.source().empty()) throw Error(where(), "hdf5_data_param.source is not set");
  if (p.batch_size() == 0) throw Error(where(), "hdf5_data_param.batch_size must be positive");
  std::ifstream in(p.source());
  if (!in) throw Error(where(), p.source() + ": cannot open the list of HDF5 files");
  // Caffe reads the list word by word: one path per line, no spaces in paths.
  files_.clear();
  for (std::string path; in >> path;) files_.push_back(path);
  if (files_.empty()) throw Error(where(), p.source() + ": the list of HDF5 files is empty");
  LOG_INFO("Number of HDF5 files: {}", files_.size());
  file_order_.resize(files_.size());
  std::iota(file_order_.begin(), file_order_.end(), size_t{0});
  if (p.shuffle()) std::shuffle(file_order_.begin(), file_order_.end(), global_rng());
  file_ = 0;
  row_shapes_.clear();
  load_file();
  const int batch_size = static_cast<int>(p.batch_size());
  for (size_t j = 0; j < top.size(); ++j) {
    std::vector<int> shape{batch_size};
    shape.insert(shape.end(), row_shapes_[j].begin(), row_shapes_[j].end());
    top[j]->reshape(shape);
  }
}

void HDF5DataLayer::load_file() {
  const std::string& path = files_[file_order_[file_]];
  std::vector<std::string> names(param_.top().begin(), param_.top().end());
  try {
    arrays_ = read_hdf5_arrays(path, names);
  } catch (const Error& e) {
    throw Error(where(), e.what());
  }
  const bool first = row_shapes_.empty();
  size_t rows = 0;
  for (size_t j = 0; j < arrays_.size(); ++j) {
    const HDF5Array& a = arrays_[j];
    if (a.shape.empty() || a.shape[0] == 0)
      throw Error(where(), path + ": dataset '" + a.name + "' (" + dims_text(a.shape) +
                               ") holds no rows along its first axis");
    const std::vector<int> row_shape(a.shape.begin() + 1, a.shape.end());
    if (j == 0) {
      rows = static_cast<size_t>(a.shape[0]);
    } else if (static_cast<size_t>(a.shape[0]) != rows) {
      throw Error(where(), path + ": dataset '" + a.name + "' has " + std::to_string(a.shape[0]) +
                               " rows but '" + arrays_[0].name + "' has " + std::to_string(rows) +
                               "; all must have the same first dimension");
    }
    if (first) {
      row_shapes_.push_back(row_shape);
    } else if (row_shape != row_shapes_[j]) {
      throw Error(where(), path + ": dataset '" + a.name + "' is " + dims_text(a.shape) +
                               ", its rows " + dims_text(row_shape) + " but the first file's are " +
                               dims_text(row_shapes_[j]));
    }
  }
  rows_.resize(rows);
  std::iota(rows_.begin(), rows_.end(), size_t{0});
  if (param_.hdf5_data_param().shuffle()) std::shuffle(rows_.begin(), rows_.end(), global_rng());
  row_ = 0;
}

void HDF5DataLayer::next() {
  if (++row_ < rows_.size()) return;
  const bool shuffle = param_.hdf5_data_param().shuffle();
  if (files_.size() > 1) {
    if (++file_ == files_.size()) {
      file_ = 0;
      if (shuffle) std::shuffle(file_order_.begin(), file_order_.end(), global_rng());
    }
    load_file();
    return;
  }
  row_ = 0;
  if (shuffle) std::shuffle(rows_.begin(), rows_.end(), global_rng());
}

void HDF5DataLayer::forward_cpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  const int batch_size = top[0]->shape(0);
  for (int i = 0; i < batch_size; ++i) {
    for (size_t j = 0; j < top.size(); ++j) {
      const size_t dim = static_cast<size_t>(top[j]->count(1));
      const float* src = arrays_[j].values.data() + rows_[row_] * dim;
      std::copy(src, src + dim, top[j]->mutable_data() + static_cast<size_t>(i) * dim);
    }
    next();
  }
}

void HDF5OutputLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const std::string& file = param_.hdf5_output_param().file_name();
  if (file.empty()) throw Error(where(), "hdf5_output_param.file_name is not set");
  if (!hdf5_supported()) {
    try {
      require_hdf5(file);
    } catch (const Error& e) {
      throw Error(where(), e.what());
    }
  }
}

void HDF5OutputLayer::reshape(const BlobVec& bottom, const BlobVec& /*top*/) {
  if (bottom[0]->num_axes() < 1 || bottom[1]->num_axes() < 1 ||
      bottom[0]->shape(0) != bottom[1]->shape(0))
    throw Error(where(), "data (" + bottom[0]->shape_string() + ") and label (" +
                             bottom[1]->shape_string() +
                             ") must have the same batch size (first axis)");
}

void HDF5OutputLayer::forward_cpu(const BlobVec& bottom, const BlobVec& /*top*/) {
  // Caffe writes num x channels x height x width (a label of N is N x 1 x 1 x 1).
  auto array = [](const char* name, const Blob& b) {
    HDF5Array a;
    a.name = name;
    if (b.num_axes() <= 4)
      a.shape = {b.num(), b.channels(), b.height(), b.width()};
    else
      a.shape = b.shape();
    a.values.assign(b.data(), b.data() + b.count());
    return a;
  };
  const std::string& file = param_.hdf5_output_param().file_name();
  try {
    write_hdf5_arrays(file, {array("data", *bottom[0]), array("label", *bottom[1])});
  } catch (const Error& e) {
    throw Error(where(), e.what());
  }
  LOG_INFO("Saved {} rows to HDF5 file {}", bottom[0]->shape(0), file);
}

}  // namespace cortado
