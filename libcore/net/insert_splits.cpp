#include "net/insert_splits.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado {
namespace {

using TopIndex = std::pair<int, int>;  // (layer, top)

// Per top: how many consumers it has (bottoms plus a loss), and its loss weight.
struct Consumers {
  std::map<TopIndex, int> count;
  std::map<TopIndex, float> loss_weight;
  std::map<TopIndex, TopIndex> source_of_bottom;  // (layer, bottom) -> producing top
};

Consumers count_consumers(const caffe::NetParameter& net) {
  Consumers c;
  std::map<std::string, TopIndex> last_top;
  for (int i = 0; i < net.layer_size(); ++i) {
    const caffe::LayerParameter& layer = net.layer(i);
    for (int j = 0; j < layer.bottom_size(); ++j) {
      auto it = last_top.find(layer.bottom(j));
      if (it == last_top.end())
        throw Error("layer '" + layer.name() + "' (" + layer.type() + ")",
                    "bottom '" + layer.bottom(j) + "' (index " + std::to_string(j) +
                        ") is not produced by any layer before it (an unknown blob, or a "
                        "cycle: a blob used before it is produced)");
      c.source_of_bottom[{i, j}] = it->second;
      ++c.count[it->second];
    }
    for (int j = 0; j < layer.top_size(); ++j) last_top[layer.top(j)] = {i, j};
    // A top used as a loss counts as one more consumer.
    const int n_loss = std::min(layer.loss_weight_size(), layer.top_size());
    for (int j = 0; j < n_loss; ++j) {
      const TopIndex top = last_top[layer.top(j)];
      c.loss_weight[top] = layer.loss_weight(j);
      if (layer.loss_weight(j) != 0.f) ++c.count[top];
    }
  }
  return c;
}

void configure_split(const std::string& layer_name, const std::string& blob_name, int blob_index,
                     int split_count, float loss_weight, caffe::LayerParameter* split) {
  split->Clear();
  split->add_bottom(blob_name);
  split->set_name(split_layer_name(layer_name, blob_name, blob_index));
  split->set_type("Split");
  for (int k = 0; k < split_count; ++k) {
    split->add_top(split_blob_name(layer_name, blob_name, blob_index, k));
    if (loss_weight != 0.f) split->add_loss_weight(k == 0 ? loss_weight : 0.f);
  }
}

}  // namespace

std::string split_layer_name(const std::string& layer_name, const std::string& blob_name,
                             int blob_index) {
  return blob_name + "_" + layer_name + "_" + std::to_string(blob_index) + "_split";
}

std::string split_blob_name(const std::string& layer_name, const std::string& blob_name,
                            int blob_index, int split_index) {
  return split_layer_name(layer_name, blob_name, blob_index) + "_" + std::to_string(split_index);
}

void insert_splits(const caffe::NetParameter& in, caffe::NetParameter* out) {
  Consumers c = count_consumers(in);
  std::map<TopIndex, int> next_split;  // which split top the next consumer takes
  out->CopyFrom(in);
  out->clear_layer();
  for (int i = 0; i < in.layer_size(); ++i) {
    caffe::LayerParameter* layer = out->add_layer();
    *layer = in.layer(i);
    for (int j = 0; j < layer->bottom_size(); ++j) {
      const TopIndex top = c.source_of_bottom[{i, j}];
      if (c.count[top] > 1)
        layer->set_bottom(j, split_blob_name(in.layer(top.first).name(), layer->bottom(j),
                                             top.second, next_split[top]++));
    }
    for (int j = 0; j < layer->top_size(); ++j) {
      const TopIndex top{i, j};
      if (c.count[top] <= 1) continue;
      const float loss_weight = c.loss_weight[top];
      configure_split(in.layer(i).name(), layer->top(j), j, c.count[top], loss_weight,
                      out->add_layer());
      if (loss_weight != 0.f) {
        // The split's first top now carries the loss.
        layer->clear_loss_weight();
        ++next_split[top];
      }
    }
  }
}

}  // namespace cortado
