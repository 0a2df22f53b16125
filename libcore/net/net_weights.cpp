// Weights in and out of a Net: sharing with another net, copying from a
// caffemodel by layer name, and writing the net as a caffemodel.
#include <algorithm>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "net/upgrade.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"

namespace cortado {
namespace {

std::string where_of(const Layer& layer) {
  return "layer '" + layer.name() + "' (" + layer.type() + ")";
}

void check_blob_count(Layer& target, int source_count) {
  const int n = static_cast<int>(target.blobs().size());
  if (n != source_count)
    throw Error(where_of(target), "incompatible number of blobs: the weights have " +
                                      std::to_string(source_count) + " blob(s) but the layer has " +
                                      std::to_string(n));
}

}  // namespace

void Net::share_trained_layers_with(const Net& other) {
  for (size_t i = 0; i < other.layers().size(); ++i) {
    Layer& source = *other.layers()[i];
    const int target_id = layer_index(other.layer_names()[i]);
    if (target_id < 0) {
      LOG_DEBUG("Ignoring source layer {}", source.name());
      continue;
    }
    LOG_DEBUG("Copying source layer {}", source.name());
    Layer& target = *layers_[target_id];
    check_blob_count(target, static_cast<int>(source.blobs().size()));
    for (size_t j = 0; j < target.blobs().size(); ++j) {
      const Blob& from = *source.blobs()[j];
      Blob& to = *target.blobs()[j];
      if (from.shape() != to.shape())
        throw Error(where_of(target), "cannot share param " + std::to_string(j) +
                                          ": shape mismatch, source " + from.shape_string() +
                                          ", target " + to.shape_string());
      to.share_data(from);
    }
  }
}

int Net::copy_trained_layers_from(const caffe::NetParameter& param) {
  int copied = 0;
  for (const auto& source : param.layer()) {
    const int target_id = layer_index(source.name());
    if (target_id < 0) {
      LOG_INFO("Ignoring source layer {}", source.name());
      continue;
    }
    LOG_DEBUG("Copying source layer {}", source.name());
    Layer& target = *layers_[target_id];
    check_blob_count(target, source.blobs_size());
    for (int j = 0; j < source.blobs_size(); ++j) {
      Blob& to = *target.blobs()[j];
      const caffe::BlobProto& from = source.blobs(j);
      if (!to.shape_equals(from))
        throw Error(where_of(target),
                    "cannot copy param " + std::to_string(j) +
                        " weights: shape mismatch, source param shape is " +
                        shape_string(proto_shape(from)) + "; target param shape is " +
                        to.shape_string() +
                        ". To learn this layer's parameters from scratch rather than copying "
                        "from a saved net, rename the layer.");
      try {
        to.from_proto(from, /*reshape=*/false);
      } catch (const Error& e) {
        throw Error(where_of(target), "param " + std::to_string(j) + ": " + e.what());
      }
    }
    if (source.blobs_size() > 0) ++copied;
  }
  return copied;
}

void Net::copy_trained_layers_from(const std::string& caffemodel) {
  // Caffe's dispatch: a name ending in .h5 is an HDF5 caffemodel (.caffemodel.h5).
  if (caffemodel.size() >= 3 && caffemodel.compare(caffemodel.size() - 3, 3, ".h5") == 0)
    return copy_trained_layers_from_hdf5(caffemodel);
  caffe::NetParameter param;
  read_net_param_binary(caffemodel, &param);
  // An empty file, or another binary protobuf (a mean file), parses as a net of no
  // layers: copying nothing from it would go on silently with the fillers' weights.
  if (param.layer_size() == 0)
    throw Error(caffemodel, "holds no layers: not a .caffemodel (empty, or another kind of file)");
  const bool has_params = std::any_of(layers_.begin(), layers_.end(),
                                      [](const auto& l) { return !l->blobs().empty(); });
  if (copy_trained_layers_from(param) == 0 && has_params)
    throw Error(caffemodel, "none of its " + std::to_string(param.layer_size()) +
                                " layers is named like a layer of net '" + name_ +
                                "' with parameters: nothing to copy (renamed layers, or "
                                "another net's weights?)");
}

void Net::to_proto(caffe::NetParameter* param, bool write_diff) const {
  param->Clear();
  param->set_name(name_);
  for (const auto& layer : layers_) {
    caffe::LayerParameter* lp = param->add_layer();
    *lp = layer->layer_param();
    lp->clear_blobs();
    for (const auto& b : layer->blobs()) b->to_proto(lp->add_blobs(), write_diff);
  }
}

void Net::save_caffemodel(const std::string& path, bool write_diff) const {
  caffe::NetParameter param;
  to_proto(&param, write_diff);
  write_binary_proto(path, param);
}

void copy_weights_from_list(Net& net, const std::string& caffemodels) {
  size_t start = 0;
  while (start <= caffemodels.size()) {
    size_t comma = caffemodels.find(',', start);
    if (comma == std::string::npos) comma = caffemodels.size();
    if (comma > start) {
      const std::string file = caffemodels.substr(start, comma - start);
      LOG_INFO("Copying weights from {}", file);
      net.copy_trained_layers_from(file);
    }
    start = comma + 1;
  }
}

}  // namespace cortado
