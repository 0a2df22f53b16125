// V0 nets (2013): `layers { layer { name type num_output kernelsize ... } bottom top }`,
// with the per-type settings flat in V0LayerParameter and zero-padding done by
// separate "padding" layers. Upgraded to V1 as Caffe's UpgradeV0Net does: padding
// layers folded into the conv/pool that follows, each flat field moved into the
// per-type message of the layer's type (a field the type cannot take is logged
// and makes the upgrade "incomplete").
#include <map>

#include "caffe.pb.h"
#include "net/upgrade.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

using V1 = caffe::V1LayerParameter;

V1::LayerType v0_layer_type(const std::string& type) {
  static const std::map<std::string, V1::LayerType> table = {
      {"accuracy", V1::ACCURACY},
      {"bnll", V1::BNLL},
      {"concat", V1::CONCAT},
      {"conv", V1::CONVOLUTION},
      {"data", V1::DATA},
      {"dropout", V1::DROPOUT},
      {"euclidean_loss", V1::EUCLIDEAN_LOSS},
      {"flatten", V1::FLATTEN},
      {"hdf5_data", V1::HDF5_DATA},
      {"hdf5_output", V1::HDF5_OUTPUT},
      {"im2col", V1::IM2COL},
      {"images", V1::IMAGE_DATA},
      {"infogain_loss", V1::INFOGAIN_LOSS},
      {"innerproduct", V1::INNER_PRODUCT},
      {"lrn", V1::LRN},
      {"multinomial_logistic_loss", V1::MULTINOMIAL_LOGISTIC_LOSS},
      {"pool", V1::POOLING},
      {"relu", V1::RELU},
      {"sigmoid", V1::SIGMOID},
      {"softmax", V1::SOFTMAX},
      {"softmax_loss", V1::SOFTMAX_LOSS},
      {"split", V1::SPLIT},
      {"tanh", V1::TANH},
      {"window_data", V1::WINDOW_DATA},
  };
  auto it = table.find(type);
  if (it == table.end()) throw Error("V0 layer", "unknown V0 layer type '" + type + "'");
  return it->second;
}

// Removes "padding" layers, moving their pad into the conv/pool layer they feed.
caffe::NetParameter fold_padding_layers(const caffe::NetParameter& in) {
  caffe::NetParameter out(in);
  out.clear_layers();
  std::map<std::string, int> last_top;  // blob -> index in `in` of its producer (-1: input)
  for (const auto& name : in.input()) last_top[name] = -1;
  for (int i = 0; i < in.layers_size(); ++i) {
    const V1& conn = in.layers(i);
    const caffe::V0LayerParameter& v0 = conn.layer();
    if (v0.type() != "padding") *out.add_layers() = conn;
    for (int j = 0; j < conn.bottom_size(); ++j) {
      auto it = last_top.find(conn.bottom(j));
      if (it == last_top.end())
        throw Error("layer '" + v0.name() + "'",
                    "bottom '" + conn.bottom(j) + "' is not produced by any layer before it");
      if (it->second < 0) continue;
      const V1& source = in.layers(it->second);
      if (source.layer().type() != "padding") continue;
      if (v0.type() != "conv" && v0.type() != "pool")
        throw Error("layer '" + v0.name() + "'",
                    "a padding layer feeds a layer of type '" + v0.type() +
                        "'; only conv and pool layers can take padding");
      if (conn.bottom_size() != 1 || source.bottom_size() != 1 || source.top_size() != 1)
        throw Error("layer '" + source.layer().name() + "'",
                    "a padding layer and the layer it feeds must have one input and one output");
      V1* target = out.mutable_layers(out.layers_size() - 1);
      target->mutable_layer()->set_pad(source.layer().pad());
      target->set_bottom(j, source.bottom(0));
    }
    for (const auto& top : conn.top()) last_top[top] = i;
  }
  return out;
}

// Collects the V0 fields a layer's type has no place for (logged, as Caffe does).
class FieldMover {
 public:
  explicit FieldMover(const std::string& type) : type_(type) {}
  bool ok() const { return ok_; }
  void reject(const char* field) {
    LOG_ERROR("Unknown parameter {} for layer type {}", field, type_);
    ok_ = false;
  }

 private:
  std::string type_;
  bool ok_ = true;
};

void move_layer_shape_fields(const caffe::V0LayerParameter& v0, V1* out, FieldMover& m) {
  const std::string& t = v0.type();
  if (v0.has_num_output()) {
    if (t == "conv") out->mutable_convolution_param()->set_num_output(v0.num_output());
    else if (t == "innerproduct") out->mutable_inner_product_param()->set_num_output(v0.num_output());
    else m.reject("num_output");
  }
  if (v0.has_biasterm()) {
    if (t == "conv") out->mutable_convolution_param()->set_bias_term(v0.biasterm());
    else if (t == "innerproduct") out->mutable_inner_product_param()->set_bias_term(v0.biasterm());
    else m.reject("biasterm");
  }
  if (v0.has_weight_filler()) {
    if (t == "conv") *out->mutable_convolution_param()->mutable_weight_filler() = v0.weight_filler();
    else if (t == "innerproduct")
      *out->mutable_inner_product_param()->mutable_weight_filler() = v0.weight_filler();
    else m.reject("weight_filler");
  }
  if (v0.has_bias_filler()) {
    if (t == "conv") *out->mutable_convolution_param()->mutable_bias_filler() = v0.bias_filler();
    else if (t == "innerproduct")
      *out->mutable_inner_product_param()->mutable_bias_filler() = v0.bias_filler();
    else m.reject("bias_filler");
  }
  if (v0.has_pad()) {
    if (t == "conv") out->mutable_convolution_param()->add_pad(v0.pad());
    else if (t == "pool") out->mutable_pooling_param()->set_pad(v0.pad());
    else m.reject("pad");
  }
  if (v0.has_kernelsize()) {
    if (t == "conv") out->mutable_convolution_param()->add_kernel_size(v0.kernelsize());
    else if (t == "pool") out->mutable_pooling_param()->set_kernel_size(v0.kernelsize());
    else m.reject("kernelsize");
  }
  if (v0.has_group()) {
    if (t == "conv") out->mutable_convolution_param()->set_group(v0.group());
    else m.reject("group");
  }
  if (v0.has_stride()) {
    if (t == "conv") out->mutable_convolution_param()->add_stride(v0.stride());
    else if (t == "pool") out->mutable_pooling_param()->set_stride(v0.stride());
    else m.reject("stride");
  }
  if (v0.has_pool()) {
    if (t == "pool")
      out->mutable_pooling_param()->set_pool(
          static_cast<caffe::PoolingParameter::PoolMethod>(static_cast<int>(v0.pool())));
    else m.reject("pool");
  }
  if (v0.has_dropout_ratio()) {
    if (t == "dropout") out->mutable_dropout_param()->set_dropout_ratio(v0.dropout_ratio());
    else m.reject("dropout_ratio");
  }
  if (t == "lrn") {
    auto* lrn = out->mutable_lrn_param();
    if (v0.has_local_size()) lrn->set_local_size(v0.local_size());
    if (v0.has_alpha()) lrn->set_alpha(v0.alpha());
    if (v0.has_beta()) lrn->set_beta(v0.beta());
    if (v0.has_k()) lrn->set_k(v0.k());
  } else {
    if (v0.has_local_size()) m.reject("local_size");
    if (v0.has_alpha()) m.reject("alpha");
    if (v0.has_beta()) m.reject("beta");
    if (v0.has_k()) m.reject("k");
  }
  if (v0.has_concat_dim()) {
    if (t == "concat") out->mutable_concat_param()->set_concat_dim(v0.concat_dim());
    else m.reject("concat_dim");
  }
}

void move_data_fields(const caffe::V0LayerParameter& v0, V1* out, FieldMover& m) {
  const std::string& t = v0.type();
  if (v0.has_source()) {
    if (t == "data") out->mutable_data_param()->set_source(v0.source());
    else if (t == "hdf5_data") out->mutable_hdf5_data_param()->set_source(v0.source());
    else if (t == "images") out->mutable_image_data_param()->set_source(v0.source());
    else if (t == "window_data") out->mutable_window_data_param()->set_source(v0.source());
    else if (t == "infogain_loss") out->mutable_infogain_loss_param()->set_source(v0.source());
    else m.reject("source");
  }
  if (v0.has_scale()) out->mutable_transform_param()->set_scale(v0.scale());
  if (v0.has_meanfile()) out->mutable_transform_param()->set_mean_file(v0.meanfile());
  if (v0.has_cropsize()) out->mutable_transform_param()->set_crop_size(v0.cropsize());
  if (v0.has_mirror()) out->mutable_transform_param()->set_mirror(v0.mirror());
  if (v0.has_batchsize()) {
    if (t == "data") out->mutable_data_param()->set_batch_size(v0.batchsize());
    else if (t == "hdf5_data") out->mutable_hdf5_data_param()->set_batch_size(v0.batchsize());
    else if (t == "images") out->mutable_image_data_param()->set_batch_size(v0.batchsize());
    else if (t == "window_data") out->mutable_window_data_param()->set_batch_size(v0.batchsize());
    else m.reject("batchsize");
  }
  if (v0.has_rand_skip()) {
    if (t == "data") out->mutable_data_param()->set_rand_skip(v0.rand_skip());
    else if (t == "images") out->mutable_image_data_param()->set_rand_skip(v0.rand_skip());
    else m.reject("rand_skip");
  }
  if (t == "images") {
    auto* p = out->mutable_image_data_param();
    if (v0.has_shuffle_images()) p->set_shuffle(v0.shuffle_images());
    if (v0.has_new_height()) p->set_new_height(v0.new_height());
    if (v0.has_new_width()) p->set_new_width(v0.new_width());
  } else {
    if (v0.has_shuffle_images()) m.reject("shuffle");
    if (v0.has_new_height()) m.reject("new_height");
    if (v0.has_new_width()) m.reject("new_width");
  }
  if (t == "window_data") {
    auto* p = out->mutable_window_data_param();
    if (v0.has_det_fg_threshold()) p->set_fg_threshold(v0.det_fg_threshold());
    if (v0.has_det_bg_threshold()) p->set_bg_threshold(v0.det_bg_threshold());
    if (v0.has_det_fg_fraction()) p->set_fg_fraction(v0.det_fg_fraction());
    if (v0.has_det_context_pad()) p->set_context_pad(v0.det_context_pad());
    if (v0.has_det_crop_mode()) p->set_crop_mode(v0.det_crop_mode());
  } else {
    if (v0.has_det_fg_threshold()) m.reject("det_fg_threshold");
    if (v0.has_det_bg_threshold()) m.reject("det_bg_threshold");
    if (v0.has_det_fg_fraction()) m.reject("det_fg_fraction");
    if (v0.has_det_context_pad()) m.reject("det_context_pad");
    if (v0.has_det_crop_mode()) m.reject("det_crop_mode");
  }
  if (v0.has_hdf5_output_param()) {
    if (t == "hdf5_output") *out->mutable_hdf5_output_param() = v0.hdf5_output_param();
    else m.reject("hdf5_output_param");
  }
}

bool upgrade_v0_layer(const V1& conn, V1* out) {
  out->Clear();
  *out->mutable_bottom() = conn.bottom();
  *out->mutable_top() = conn.top();
  if (!conn.has_layer()) return true;
  const caffe::V0LayerParameter& v0 = conn.layer();
  if (v0.has_name()) out->set_name(v0.name());
  if (v0.has_type()) out->set_type(v0_layer_type(v0.type()));
  *out->mutable_blobs() = v0.blobs();
  *out->mutable_blobs_lr() = v0.blobs_lr();
  *out->mutable_weight_decay() = v0.weight_decay();
  FieldMover m(v0.type());
  move_layer_shape_fields(v0, out, m);
  move_data_fields(v0, out, m);
  return m.ok();
}

}  // namespace

bool upgrade_v0_net(const caffe::NetParameter& v0_with_padding, caffe::NetParameter* out) {
  const caffe::NetParameter v0 = fold_padding_layers(v0_with_padding);
  bool ok = true;
  out->Clear();
  if (v0.has_name()) out->set_name(v0.name());
  for (const auto& l : v0.layers()) ok &= upgrade_v0_layer(l, out->add_layers());
  *out->mutable_input() = v0.input();
  *out->mutable_input_dim() = v0.input_dim();
  if (v0.has_force_backward()) out->set_force_backward(v0.force_backward());
  return ok;
}

}  // namespace cortado
