#include "net/upgrade.hpp"

#include <google/protobuf/descriptor.h>

#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"

namespace cortado {

bool net_needs_v0_upgrade(const caffe::NetParameter& net) {
  for (const auto& l : net.layers())
    if (l.has_layer()) return true;
  return false;
}

bool net_needs_v1_upgrade(const caffe::NetParameter& net) { return net.layers_size() > 0; }

bool net_needs_input_upgrade(const caffe::NetParameter& net) { return net.input_size() > 0; }

bool net_needs_batchnorm_upgrade(const caffe::NetParameter& net) {
  for (const auto& l : net.layer())
    if (l.type() == "BatchNorm" && l.param_size() == 3) return true;
  return false;
}

bool net_needs_upgrade(const caffe::NetParameter& net) {
  return net_needs_v0_upgrade(net) || net_needs_v1_upgrade(net) || net_needs_data_upgrade(net) ||
         net_needs_input_upgrade(net) || net_needs_batchnorm_upgrade(net);
}

// --- data transformation fields ------------------------------------------------

namespace {

template <class P>
bool has_legacy_transform(const P& p) {
  return p.has_scale() || p.has_mean_file() || p.has_crop_size() || p.has_mirror();
}

template <class P>
void move_legacy_transform(P* p, caffe::TransformationParameter* t) {
  if (p->has_scale()) t->set_scale(p->scale());
  if (p->has_mean_file()) t->set_mean_file(p->mean_file());
  if (p->has_crop_size()) t->set_crop_size(p->crop_size());
  if (p->has_mirror()) t->set_mirror(p->mirror());
  p->clear_scale();
  p->clear_mean_file();
  p->clear_crop_size();
  p->clear_mirror();
}

}  // namespace

bool net_needs_data_upgrade(const caffe::NetParameter& net) {
  for (const auto& l : net.layers()) {
    if (l.type() == caffe::V1LayerParameter::DATA && has_legacy_transform(l.data_param()))
      return true;
    if (l.type() == caffe::V1LayerParameter::IMAGE_DATA &&
        has_legacy_transform(l.image_data_param()))
      return true;
    if (l.type() == caffe::V1LayerParameter::WINDOW_DATA &&
        has_legacy_transform(l.window_data_param()))
      return true;
  }
  return false;
}

void upgrade_net_data_transformation(caffe::NetParameter* net) {
  for (auto& l : *net->mutable_layers()) {
    if (l.type() == caffe::V1LayerParameter::DATA)
      move_legacy_transform(l.mutable_data_param(), l.mutable_transform_param());
    else if (l.type() == caffe::V1LayerParameter::IMAGE_DATA)
      move_legacy_transform(l.mutable_image_data_param(), l.mutable_transform_param());
    else if (l.type() == caffe::V1LayerParameter::WINDOW_DATA)
      move_legacy_transform(l.mutable_window_data_param(), l.mutable_transform_param());
  }
}

// --- V1 -> current ---------------------------------------------------------------

const char* v1_layer_type_name(int t) {
  using V1 = caffe::V1LayerParameter;
  switch (t) {
    case V1::NONE: return "";
    case V1::ABSVAL: return "AbsVal";
    case V1::ACCURACY: return "Accuracy";
    case V1::ARGMAX: return "ArgMax";
    case V1::BNLL: return "BNLL";
    case V1::CONCAT: return "Concat";
    case V1::CONTRASTIVE_LOSS: return "ContrastiveLoss";
    case V1::CONVOLUTION: return "Convolution";
    case V1::DECONVOLUTION: return "Deconvolution";
    case V1::DATA: return "Data";
    case V1::DROPOUT: return "Dropout";
    case V1::DUMMY_DATA: return "DummyData";
    case V1::EUCLIDEAN_LOSS: return "EuclideanLoss";
    case V1::ELTWISE: return "Eltwise";
    case V1::EXP: return "Exp";
    case V1::FLATTEN: return "Flatten";
    case V1::HDF5_DATA: return "HDF5Data";
    case V1::HDF5_OUTPUT: return "HDF5Output";
    case V1::HINGE_LOSS: return "HingeLoss";
    case V1::IM2COL: return "Im2col";
    case V1::IMAGE_DATA: return "ImageData";
    case V1::INFOGAIN_LOSS: return "InfogainLoss";
    case V1::INNER_PRODUCT: return "InnerProduct";
    case V1::LRN: return "LRN";
    case V1::MEMORY_DATA: return "MemoryData";
    case V1::MULTINOMIAL_LOGISTIC_LOSS: return "MultinomialLogisticLoss";
    case V1::MVN: return "MVN";
    case V1::POOLING: return "Pooling";
    case V1::POWER: return "Power";
    case V1::RELU: return "ReLU";
    case V1::SIGMOID: return "Sigmoid";
    case V1::SIGMOID_CROSS_ENTROPY_LOSS: return "SigmoidCrossEntropyLoss";
    case V1::SILENCE: return "Silence";
    case V1::SOFTMAX: return "Softmax";
    case V1::SOFTMAX_LOSS: return "SoftmaxWithLoss";
    case V1::SPLIT: return "Split";
    case V1::SLICE: return "Slice";
    case V1::TANH: return "TanH";
    case V1::WINDOW_DATA: return "WindowData";
    case V1::THRESHOLD: return "Threshold";
    default: return "";
  }
}

namespace {

caffe::ParamSpec* param_at(caffe::LayerParameter* out, int i) {
  while (out->param_size() <= i) out->add_param();
  return out->mutable_param(i);
}

// Every per-type parameter message of V1LayerParameter ("convolution_param",
// "transform_param", ...) has a field of the same name and type in
// LayerParameter; copy them by name rather than listing thirty of them.
void copy_type_params(const caffe::V1LayerParameter& v1, caffe::LayerParameter* out) {
  using google::protobuf::FieldDescriptor;
  const auto* from_desc = v1.GetDescriptor();
  const auto* to_desc = out->GetDescriptor();
  const auto* from_refl = v1.GetReflection();
  const auto* to_refl = out->GetReflection();
  for (int i = 0; i < from_desc->field_count(); ++i) {
    const FieldDescriptor* f = from_desc->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    const std::string& name = f->name();
    if (name.size() < 6 || name.compare(name.size() - 6, 6, "_param") != 0) continue;
    if (!from_refl->HasField(v1, f)) continue;
    const FieldDescriptor* g = to_desc->FindFieldByName(name);
    CORTADO_ASSERT(g && g->message_type() == f->message_type());
    to_refl->MutableMessage(out, g)->CopyFrom(from_refl->GetMessage(v1, f));
  }
}

}  // namespace

bool upgrade_v1_layer(const caffe::V1LayerParameter& v1, caffe::LayerParameter* out) {
  out->Clear();
  bool ok = true;
  *out->mutable_bottom() = v1.bottom();
  *out->mutable_top() = v1.top();
  if (v1.has_name()) out->set_name(v1.name());
  *out->mutable_include() = v1.include();
  *out->mutable_exclude() = v1.exclude();
  if (v1.has_type()) {
    const char* type = v1_layer_type_name(v1.type());
    if (v1.type() != caffe::V1LayerParameter::NONE && *type == '\0') {
      LOG_ERROR("Unknown V1LayerParameter layer type: {}", static_cast<int>(v1.type()));
      ok = false;
    }
    out->set_type(type);
  }
  *out->mutable_blobs() = v1.blobs();
  for (int i = 0; i < v1.param_size(); ++i) param_at(out, i)->set_name(v1.param(i));
  for (int i = 0; i < v1.blob_share_mode_size(); ++i)
    param_at(out, i)->set_share_mode(
        v1.blob_share_mode(i) == caffe::V1LayerParameter::PERMISSIVE
            ? caffe::ParamSpec::PERMISSIVE
            : caffe::ParamSpec::STRICT);
  for (int i = 0; i < v1.blobs_lr_size(); ++i) param_at(out, i)->set_lr_mult(v1.blobs_lr(i));
  for (int i = 0; i < v1.weight_decay_size(); ++i)
    param_at(out, i)->set_decay_mult(v1.weight_decay(i));
  *out->mutable_loss_weight() = v1.loss_weight();
  copy_type_params(v1, out);
  if (v1.has_layer()) {
    LOG_ERROR("Input NetParameter has V0 layer -- ignoring.");
    ok = false;
  }
  return ok;
}

bool upgrade_v1_net(const caffe::NetParameter& v1, caffe::NetParameter* out) {
  bool ok = true;
  if (v1.layer_size() > 0) {
    LOG_ERROR("Input NetParameter to be upgraded already specifies 'layer' fields; these will "
              "be ignored for the upgrade.");
    ok = false;
  }
  out->CopyFrom(v1);
  out->clear_layers();
  out->clear_layer();
  for (int i = 0; i < v1.layers_size(); ++i) {
    if (!upgrade_v1_layer(v1.layers(i), out->add_layer())) {
      LOG_ERROR("Upgrade of input layer {} failed.", i);
      ok = false;
    }
  }
  return ok;
}

// --- net-level inputs ------------------------------------------------------------

void upgrade_net_input(caffe::NetParameter* net, const std::string& origin) {
  const bool has_shape = net->input_shape_size() > 0;
  const bool has_dim = net->input_dim_size() > 0;
  if (has_shape && has_dim)
    throw Error(origin, "give either input_shape or the deprecated input_dim, not both");
  if (has_dim && net->input_dim_size() != 4 * net->input_size())
    throw Error(origin, "input_dim needs 4 values per input: " +
                            std::to_string(net->input_size()) + " input(s) but " +
                            std::to_string(net->input_dim_size()) + " input_dim value(s)");
  if (has_shape && net->input_shape_size() != net->input_size())
    throw Error(origin, "give exactly one input_shape per input: " +
                            std::to_string(net->input_size()) + " input(s) but " +
                            std::to_string(net->input_shape_size()) + " input_shape(s)");
  // An input without shape is a legacy caffemodel's: dropping it is enough.
  if (has_shape || has_dim) {
    caffe::LayerParameter input;
    input.set_name("input");
    input.set_type("Input");
    for (int i = 0; i < net->input_size(); ++i) {
      input.add_top(net->input(i));
      caffe::BlobShape* shape = input.mutable_input_param()->add_shape();
      if (has_shape) {
        *shape = net->input_shape(i);
      } else {
        for (int j = 4 * i; j < 4 * i + 4; ++j) shape->add_dim(net->input_dim(j));
      }
    }
    // The Input layer goes first so that every later layer can use its tops.
    auto* layers = net->mutable_layer();
    *layers->Add() = std::move(input);
    for (int i = layers->size() - 1; i > 0; --i) layers->SwapElements(i, i - 1);
  }
  net->clear_input();
  net->clear_input_shape();
  net->clear_input_dim();
}

// --- BatchNorm ---------------------------------------------------------------------

void upgrade_net_batchnorm(caffe::NetParameter* net) {
  // Old BatchNorm definitions listed three param specs; the statistics must not learn.
  for (auto& l : *net->mutable_layer()) {
    if (l.type() != "BatchNorm" || l.param_size() != 3) continue;
    for (auto& p : *l.mutable_param()) {
      p.set_lr_mult(0.f);
      p.set_decay_mult(0.f);
    }
  }
}

// --- all of them ---------------------------------------------------------------------

bool upgrade_net_as_needed(const std::string& origin, caffe::NetParameter* net) {
  bool ok = true;
  if (net_needs_v0_upgrade(*net)) {
    LOG_INFO("Attempting to upgrade input file specified using deprecated V0LayerParameter: {}",
             origin);
    const caffe::NetParameter original(*net);
    if (!upgrade_v0_net(original, net)) {
      ok = false;
      LOG_ERROR("Warning: had one or more problems upgrading V0NetParameter to NetParameter "
                "(see above); continuing anyway.");
    } else {
      LOG_INFO("Successfully upgraded file specified using deprecated V0LayerParameter");
    }
  }
  if (net_needs_data_upgrade(*net)) {
    LOG_INFO("Attempting to upgrade input file specified using deprecated transformation "
             "parameters: {}",
             origin);
    upgrade_net_data_transformation(net);
    LOG_INFO("Successfully upgraded file specified using deprecated data transformation "
             "parameters.");
  }
  if (net_needs_v1_upgrade(*net)) {
    LOG_INFO("Attempting to upgrade input file specified using deprecated V1LayerParameter: {}",
             origin);
    const caffe::NetParameter original(*net);
    if (!upgrade_v1_net(original, net)) {
      ok = false;
      LOG_ERROR("Warning: had one or more problems upgrading V1LayerParameter (see above); "
                "continuing anyway.");
    } else {
      LOG_INFO("Successfully upgraded file specified using deprecated V1LayerParameter");
    }
  }
  if (net_needs_input_upgrade(*net)) {
    LOG_INFO("Attempting to upgrade input file specified using deprecated input fields: {}",
             origin);
    upgrade_net_input(net, origin);
    LOG_INFO("Successfully upgraded file using deprecated input fields.");
  }
  if (net_needs_batchnorm_upgrade(*net)) {
    LOG_INFO("Attempting to upgrade batch norm layers using deprecated params: {}", origin);
    upgrade_net_batchnorm(net);
    LOG_INFO("Successfully upgraded batch norm layers using deprecated params.");
  }
  return ok;
}

void read_net_param_text(const std::string& path, caffe::NetParameter* net) {
  read_text_proto(path, *net);
  upgrade_net_as_needed(path, net);
}

void read_net_param_binary(const std::string& path, caffe::NetParameter* net) {
  read_binary_proto(path, *net);
  upgrade_net_as_needed(path, net);
}

}  // namespace cortado
