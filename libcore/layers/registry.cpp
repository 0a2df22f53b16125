#include "layers/registry.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "util/error.hpp"

// --- neuron and structural layers ---
#include "layers/absval.hpp"
#include "layers/argmax.hpp"
#include "layers/batch_norm.hpp"
#include "layers/batch_reindex.hpp"
#include "layers/bias.hpp"
#include "layers/bnll.hpp"
#include "layers/clip.hpp"
#include "layers/concat.hpp"
#include "layers/crop.hpp"
#include "layers/dropout.hpp"
#include "layers/eltwise.hpp"
#include "layers/elu.hpp"
#include "layers/embed.hpp"
#include "layers/exp.hpp"
#include "layers/filter.hpp"
#include "layers/flatten.hpp"
#include "layers/log.hpp"
#include "layers/lstm.hpp"
#include "layers/lstm_unit.hpp"
#include "layers/mvn.hpp"
#include "layers/parameter.hpp"
#include "layers/power.hpp"
#include "layers/prelu.hpp"
#include "layers/reduction.hpp"
#include "layers/relu.hpp"
#include "layers/reshape.hpp"
#include "layers/rnn.hpp"
#include "layers/scale.hpp"
#include "layers/sigmoid.hpp"
#include "layers/silence.hpp"
#include "layers/slice.hpp"
#include "layers/split.hpp"
#include "layers/swish.hpp"
#include "layers/tanh.hpp"
#include "layers/threshold.hpp"
#include "layers/tile.hpp"

// One include per layer family; each family's header declares its classes.
// (engine helpers: add your includes and table rows in your own block below)
// --- vision layers ---
#include "layers/convolution.hpp"
#include "layers/deconvolution.hpp"
#include "layers/im2col.hpp"
#include "layers/inner_product.hpp"
#include "layers/lrn.hpp"
#include "layers/pooling.hpp"
#include "layers/spp.hpp"

// --- loss, softmax and data layers ---
#include "layers/accuracy.hpp"
#include "layers/contrastive_loss.hpp"
#include "layers/data.hpp"
#include "layers/dummy_data.hpp"
#include "layers/euclidean_loss.hpp"
#include "layers/hdf5_data.hpp"
#include "layers/hinge_loss.hpp"
#include "layers/image_data.hpp"
#include "layers/infogain_loss.hpp"
#include "layers/input.hpp"
#include "layers/multinomial_logistic_loss.hpp"
#include "layers/sigmoid_cross_entropy_loss.hpp"
#include "layers/softmax.hpp"
#include "layers/softmax_loss.hpp"

namespace cortado {
namespace {

using Factory = std::function<std::unique_ptr<Layer>(const caffe::LayerParameter&)>;

template <class L>
Factory make() {
  return [](const caffe::LayerParameter& p) { return std::make_unique<L>(p); };
}

const std::map<std::string, Factory>& table() {
  static const std::map<std::string, Factory> t = {
      // --- vision layers ---
      {"Convolution", make<ConvolutionLayer>()},
      {"Deconvolution", make<DeconvolutionLayer>()},
      {"Im2col", make<Im2colLayer>()},
      {"InnerProduct", make<InnerProductLayer>()},
      {"LRN", make<LRNLayer>()},
      {"Pooling", make<PoolingLayer>()},
      {"SPP", make<SPPLayer>()},
      // --- neuron and structural layers ---
      {"AbsVal", make<AbsValLayer>()},
      {"ArgMax", make<ArgMaxLayer>()},
      {"BatchNorm", make<BatchNormLayer>()},
      {"BatchReindex", make<BatchReindexLayer>()},
      {"Bias", make<BiasLayer>()},
      {"BNLL", make<BNLLLayer>()},
      {"Clip", make<ClipLayer>()},
      {"Concat", make<ConcatLayer>()},
      {"Crop", make<CropLayer>()},
      {"Dropout", make<DropoutLayer>()},
      {"Eltwise", make<EltwiseLayer>()},
      {"ELU", make<ELULayer>()},
      {"Embed", make<EmbedLayer>()},
      {"Exp", make<ExpLayer>()},
      {"Filter", make<FilterLayer>()},
      {"Flatten", make<FlattenLayer>()},
      {"Log", make<LogLayer>()},
      {"LSTM", make<LSTMLayer>()},
      {"LSTMUnit", make<LSTMUnitLayer>()},
      {"MVN", make<MVNLayer>()},
      {"Parameter", make<ParameterLayer>()},
      {"Power", make<PowerLayer>()},
      {"PReLU", make<PReLULayer>()},
      {"Reduction", make<ReductionLayer>()},
      {"ReLU", make<ReLULayer>()},
      {"Reshape", make<ReshapeLayer>()},
      {"RNN", make<RNNLayer>()},
      {"Scale", make<ScaleLayer>()},
      {"Sigmoid", make<SigmoidLayer>()},
      {"Silence", make<SilenceLayer>()},
      {"Slice", make<SliceLayer>()},
      {"Split", make<SplitLayer>()},
      {"Swish", make<SwishLayer>()},
      {"TanH", make<TanHLayer>()},
      {"Threshold", make<ThresholdLayer>()},
      {"Tile", make<TileLayer>()},
      // --- loss, softmax and data layers ---
      {"Accuracy", make<AccuracyLayer>()},
      {"ContrastiveLoss", make<ContrastiveLossLayer>()},
      {"Data", make<DataLayer>()},
      {"DummyData", make<DummyDataLayer>()},
      {"EuclideanLoss", make<EuclideanLossLayer>()},
      {"HDF5Data", make<HDF5DataLayer>()},
      {"HDF5Output", make<HDF5OutputLayer>()},
      {"HingeLoss", make<HingeLossLayer>()},
      {"ImageData", make<ImageDataLayer>()},
      {"InfogainLoss", make<InfogainLossLayer>()},
      {"Input", make<InputLayer>()},
      {"MultinomialLogisticLoss", make<MultinomialLogisticLossLayer>()},
      {"SigmoidCrossEntropyLoss", make<SigmoidCrossEntropyLossLayer>()},
      {"Softmax", make<SoftmaxLayer>()},
      {"SoftmaxWithLoss", make<SoftmaxWithLossLayer>()},
  };
  return t;
}

// Caffe's layer types that Cortado does not build, each with what to do instead: a
// net with one is a valid Caffe net, so "unknown type" would mislead.
const std::map<std::string, const char*>& unsupported() {
  static const std::map<std::string, const char*> t = {
      {"MemoryData", "it is fed through Caffe's C++ or Python API; use an Input layer"},
      {"WindowData", "R-CNN window files are not read"},
  };
  return t;
}

}  // namespace

std::unique_ptr<Layer> create_layer(const caffe::LayerParameter& param) {
  const std::string& type = param.type();
  if (type == "Python")
    throw Error("layer '" + param.name() + "'",
                "type Python is refused: Cortado never runs code named in a model file");
  if (auto why = unsupported().find(type); why != unsupported().end())
    throw Error("layer '" + param.name() + "'",
                "Caffe's layer type " + type + " is not supported: " + why->second);
  auto it = table().find(type);
  if (it == table().end()) {
    std::string known;
    for (const auto& name : known_layer_types()) known += (known.empty() ? "" : ", ") + name;
    throw Error("layer '" + param.name() + "'",
                "unknown layer type '" + type + "' (known types: " + known + ")");
  }
  return it->second(param);
}

std::vector<std::string> known_layer_types() {
  std::vector<std::string> names;
  for (const auto& [name, f] : table()) names.push_back(name);
  return names;
}

}  // namespace cortado
