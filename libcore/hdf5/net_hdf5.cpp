// Caffe's HDF5 weights (Net::ToHDF5 / CopyTrainedLayersFromHDF5): root group "data"
// (and "diff" when diffs are written), one group per layer named by the layer, in it
// float datasets "0", "1", ... with each parameter blob's N-d shape. A parameter
// shared from another layer is written by its owner only.
#include <algorithm>

#include "hdf5/h5.hpp"
#include "hdf5/hdf5_io.hpp"
#include "net/net.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

std::string where_of(const Layer& layer) {
  return "layer '" + layer.name() + "' (" + layer.type() + ")";
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void Net::save_hdf5(const std::string& path, bool write_diff) const {
  h5::NewFile file(path);
  const h5::Location data = file.create_group("data");
  for (size_t layer_id = 0; layer_id < layers_.size(); ++layer_id) {
    const Layer& layer = *layers_[layer_id];
    const h5::Location group = data.create_group(layer.name());
    for (size_t j = 0; j < param_id_vecs_[layer_id].size(); ++j) {
      const int param_id = param_id_vecs_[layer_id][j];
      if (param_owners_[param_id] != -1) continue;  // only params that own themselves
      const Blob& blob = *params_[param_id];
      group.write_floats(std::to_string(j), blob.shape(), blob.data());
    }
  }
  if (write_diff) {
    const h5::Location diff = file.create_group("diff");
    for (size_t layer_id = 0; layer_id < layers_.size(); ++layer_id) {
      const Layer& layer = *layers_[layer_id];
      const h5::Location group = diff.create_group(layer.name());
      for (size_t j = 0; j < param_id_vecs_[layer_id].size(); ++j) {
        const Blob& blob = *params_[param_id_vecs_[layer_id][j]];
        group.write_floats(std::to_string(j), blob.shape(), blob.diff());
      }
    }
  }
  file.commit();
}

void Net::copy_trained_layers_from_hdf5(const std::string& path) {
  const h5::Location file = h5::open_file(path);
  if (!file.has("data") || !file.is_group("data"))
    throw Error(path, "has no group 'data': not a Caffe HDF5 caffemodel (.caffemodel.h5)");
  const h5::Location data = file.group("data");
  // A top-level group is also used when it holds the groups of layers named "name/...".
  auto used = [&](const std::string& name) {
    return layer_index(name) >= 0 ||
           std::any_of(layers_.begin(), layers_.end(),
                       [&](const auto& l) { return l->name().rfind(name + "/", 0) == 0; });
  };
  for (const auto& name : data.links())
    if (!used(name)) LOG_INFO("Ignoring source layer {}", name);
  int copied = 0;
  for (size_t layer_id = 0; layer_id < layers_.size(); ++layer_id) {
    Layer& target = *layers_[layer_id];
    if (!data.has(target.name()) || !data.is_group(target.name())) continue;
    LOG_DEBUG("Copying source layer {}", target.name());
    const h5::Location group = data.group(target.name());
    const auto links = group.links();
    const int source_count = static_cast<int>(std::count_if(links.begin(), links.end(), is_index));
    const int n = static_cast<int>(target.blobs().size());
    if (source_count > n)
      throw Error(where_of(target), "incompatible number of blobs: the weights (" + path +
                                        ") have " + std::to_string(source_count) +
                                        " blob(s) but the layer has " + std::to_string(n));
    int loaded = 0;
    for (int j = 0; j < n; ++j) {
      const std::string dataset = std::to_string(j);
      if (!group.has(dataset)) {
        // Weight-shared in this net: its owner brings it.
        if (param_owners_[param_id_vecs_[layer_id][j]] != -1) continue;
        throw Error(where_of(target), "incompatible number of blobs: the weights (" + path +
                                          ") have no dataset " + group.where(dataset) +
                                          " for param " + dataset + " of the layer's " +
                                          std::to_string(n));
      }
      Blob& to = *target.blobs()[j];
      const std::vector<int> source_shape = group.shape(dataset);
      if (source_shape != to.shape())
        throw Error(where_of(target),
                    "cannot copy param " + dataset + " weights from " + group.where(dataset) +
                        ": shape mismatch, source param shape is " + shape_string(source_shape) +
                        "; target param shape is " + to.shape_string() +
                        ". To learn this layer's parameters from scratch rather than copying "
                        "from a saved net, rename the layer.");
      group.read_floats(dataset, to.mutable_data(), static_cast<size_t>(to.count()));
      ++loaded;
    }
    if (loaded > 0) ++copied;
  }
  const bool has_params = std::any_of(layers_.begin(), layers_.end(),
                                      [](const auto& l) { return !l->blobs().empty(); });
  if (copied == 0 && has_params)
    throw Error(path, "none of its layers under 'data' is named like a layer of net '" + name_ +
                          "' with parameters: nothing to copy (renamed layers, or another "
                          "net's weights?)");
}

}  // namespace cortado
