#include "authoring/layer_types.hpp"

namespace cortado::authoring {
namespace {

const std::vector<LayerTypeInfo>& table() {
  static const char* kTransform = "transform_param";
  static const char* kLoss = "loss_param";
  static const std::vector<LayerTypeInfo> types = {
      {"AbsVal", "", {}},
      {"Accuracy", "accuracy_param", {}},
      {"ArgMax", "argmax_param", {}},
      {"BatchNorm", "batch_norm_param", {}},
      {"BatchReindex", "", {}},
      {"Bias", "bias_param", {}},
      {"BNLL", "", {}},
      {"Clip", "clip_param", {}},
      {"Concat", "concat_param", {}},
      {"ContrastiveLoss", "contrastive_loss_param", {kLoss}},
      {"Convolution", "convolution_param", {}},
      {"Crop", "crop_param", {}},
      {"Data", "data_param", {kTransform}},
      {"Deconvolution", "convolution_param", {}},
      {"Dropout", "dropout_param", {}},
      {"DummyData", "dummy_data_param", {}},
      {"Eltwise", "eltwise_param", {}},
      {"ELU", "elu_param", {}},
      {"Embed", "embed_param", {}},
      {"EuclideanLoss", "", {kLoss}},
      {"Exp", "exp_param", {}},
      {"Filter", "", {}},
      {"Flatten", "flatten_param", {}},
      {"HDF5Data", "hdf5_data_param", {}},
      {"HDF5Output", "hdf5_output_param", {}},
      {"HingeLoss", "hinge_loss_param", {kLoss}},
      {"Im2col", "convolution_param", {}},
      {"ImageData", "image_data_param", {kTransform}},
      {"InfogainLoss", "infogain_loss_param", {kLoss}},
      {"InnerProduct", "inner_product_param", {}},
      {"Input", "input_param", {}},
      {"Log", "log_param", {}},
      {"LRN", "lrn_param", {}},
      {"LSTM", "recurrent_param", {}},
      {"LSTMUnit", "", {}},
      {"MemoryData", "memory_data_param", {kTransform}},
      {"MultinomialLogisticLoss", "", {kLoss}},
      {"MVN", "mvn_param", {}},
      {"Parameter", "parameter_param", {}},
      {"Pooling", "pooling_param", {}},
      {"Power", "power_param", {}},
      {"PReLU", "prelu_param", {}},
      {"Python", "python_param", {}},
      {"Reduction", "reduction_param", {}},
      {"ReLU", "relu_param", {}},
      {"Reshape", "reshape_param", {}},
      {"RNN", "recurrent_param", {}},
      {"Scale", "scale_param", {}},
      {"Sigmoid", "sigmoid_param", {}},
      {"SigmoidCrossEntropyLoss", "", {kLoss}},
      {"Silence", "", {}},
      {"Slice", "slice_param", {}},
      {"Softmax", "softmax_param", {}},
      {"SoftmaxWithLoss", "", {"softmax_param", kLoss}},
      {"Split", "", {}},
      {"SPP", "spp_param", {}},
      {"Swish", "swish_param", {}},
      {"TanH", "tanh_param", {}},
      {"Threshold", "threshold_param", {}},
      {"Tile", "tile_param", {}},
      {"WindowData", "window_data_param", {kTransform}},
  };
  return types;
}

}  // namespace

const LayerTypeInfo* find_layer_type(const std::string& type) {
  for (const auto& t : table())
    if (type == t.type) return &t;
  return nullptr;
}

std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (const auto& t : table()) names.emplace_back(t.type);
  return names;
}

}  // namespace cortado::authoring
