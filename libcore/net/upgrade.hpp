#pragma once
// Old net formats upgraded on load, as Caffe's UpgradeNetAsNeeded:
//   V0 (`layers { layer { type: "conv" ... } }`, padding layers) -> V1;
//   data-layer transformation fields (scale, mean_file, crop_size, mirror) -> transform_param;
//   V1 (`layers { type: CONVOLUTION blobs_lr: 1 }`) -> `layer { type: "Convolution" param {...} }`;
//   net-level input / input_dim / input_shape -> an Input layer named "input" in front;
//   BatchNorm layers with three param specs -> lr_mult and decay_mult 0.
// Blob data and legacy blob dims are left as they are (Blob::shape_equals accepts them).
#include <string>

namespace caffe {
class NetParameter;
class V1LayerParameter;
class LayerParameter;
}  // namespace caffe

namespace cortado {

bool net_needs_v0_upgrade(const caffe::NetParameter& net);
bool net_needs_v1_upgrade(const caffe::NetParameter& net);
bool net_needs_data_upgrade(const caffe::NetParameter& net);
bool net_needs_input_upgrade(const caffe::NetParameter& net);
bool net_needs_batchnorm_upgrade(const caffe::NetParameter& net);
bool net_needs_upgrade(const caffe::NetParameter& net);

// Each returns false (after logging why) when something could not be carried over.
bool upgrade_v0_net(const caffe::NetParameter& v0, caffe::NetParameter* out);
void upgrade_net_data_transformation(caffe::NetParameter* net);
bool upgrade_v1_net(const caffe::NetParameter& v1, caffe::NetParameter* out);
bool upgrade_v1_layer(const caffe::V1LayerParameter& v1, caffe::LayerParameter* out);
// The type string of a V1 enum value, or "" for an unknown one.
const char* v1_layer_type_name(int v1_type);
// Throws an Error when the net-level input fields are inconsistent.
void upgrade_net_input(caffe::NetParameter* net, const std::string& origin);
void upgrade_net_batchnorm(caffe::NetParameter* net);

// Applies every upgrade the net needs, logging Caffe's messages; `origin` names
// the file in the log. Returns false if some upgrade was incomplete.
bool upgrade_net_as_needed(const std::string& origin, caffe::NetParameter* net);

// Reads a prototxt / a binary NetParameter (caffemodel) and upgrades it.
void read_net_param_text(const std::string& path, caffe::NetParameter* net);
void read_net_param_binary(const std::string& path, caffe::NetParameter* net);

}  // namespace cortado
