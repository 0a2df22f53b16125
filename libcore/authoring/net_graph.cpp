#include "authoring/net_graph.hpp"

#include <map>
#include <set>

#include "authoring/py_float.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

std::string join_dims(const google::protobuf::RepeatedField<uint32_t>& v, const char* fallback) {
  if (v.empty()) return fallback;
  std::string s;
  for (int i = 0; i < v.size(); ++i) s += (i ? "x" : "") + std::to_string(v[i]);
  return s;
}

std::string conv_params(const caffe::ConvolutionParameter& p) {
  std::string k = p.has_kernel_h() ? std::to_string(p.kernel_h()) + "x" + std::to_string(p.kernel_w())
                                   : join_dims(p.kernel_size(), "?");
  std::string s = p.has_stride_h() ? std::to_string(p.stride_h()) + "x" + std::to_string(p.stride_w())
                                   : join_dims(p.stride(), "1");
  std::string pad = p.has_pad_h() || p.has_pad_w()
                        ? std::to_string(p.pad_h()) + "x" + std::to_string(p.pad_w())
                        : join_dims(p.pad(), "0");
  std::string out = "kernel " + k + ", stride " + s + ", pad " + pad;
  out += "\\noutputs " + std::to_string(p.num_output());
  if (p.group() > 1) out += ", group " + std::to_string(p.group());
  if (!p.dilation().empty()) out += ", dilation " + join_dims(p.dilation(), "1");
  return out;
}

std::string pool_params(const caffe::PoolingParameter& p) {
  const std::string method = caffe::PoolingParameter::PoolMethod_Name(p.pool());
  if (p.global_pooling()) return method + ", global";
  std::string k = p.has_kernel_h() ? std::to_string(p.kernel_h()) + "x" + std::to_string(p.kernel_w())
                                   : std::to_string(p.kernel_size());
  std::string s = p.has_stride_h() ? std::to_string(p.stride_h()) + "x" + std::to_string(p.stride_w())
                                   : std::to_string(p.stride());
  std::string pad = p.has_pad_h() || p.has_pad_w()
                        ? std::to_string(p.pad_h()) + "x" + std::to_string(p.pad_w())
                        : std::to_string(p.pad());
  return method + " " + k + ", stride " + s + ", pad " + pad;
}

std::string shape_text(const caffe::BlobShape& s) {
  std::string out;
  for (int i = 0; i < s.dim_size(); ++i) out += (i ? "x" : "") + std::to_string(s.dim(i));
  return out;
}

// The line of key parameters under a layer's name and type ("" when none).
std::string key_params(const caffe::LayerParameter& l) {
  const std::string& t = l.type();
  if (t == "Convolution" || t == "Deconvolution") return conv_params(l.convolution_param());
  if (t == "Pooling") return pool_params(l.pooling_param());
  if (t == "InnerProduct") return "outputs " + std::to_string(l.inner_product_param().num_output());
  if (t == "Data") return "batch " + std::to_string(l.data_param().batch_size());
  if (t == "ImageData") return "batch " + std::to_string(l.image_data_param().batch_size());
  if (t == "Input") {
    std::string s;
    for (const auto& sh : l.input_param().shape()) s += (s.empty() ? "" : ", ") + shape_text(sh);
    return s;
  }
  if (t == "Dropout") return "ratio " + py_float_repr(l.dropout_param().dropout_ratio());
  if (t == "LRN") return "size " + std::to_string(l.lrn_param().local_size());
  if (t == "Eltwise")
    return caffe::EltwiseParameter::EltwiseOp_Name(l.eltwise_param().operation());
  return "";
}

std::string phase_tag(const caffe::LayerParameter& l) {
  for (const auto& r : l.include())
    if (r.has_phase()) return r.phase() == caffe::TRAIN ? " [TRAIN]" : " [TEST]";
  for (const auto& r : l.exclude())
    if (r.has_phase()) return r.phase() == caffe::TRAIN ? " [not TRAIN]" : " [not TEST]";
  return "";
}

bool in_place(const caffe::LayerParameter& l) {
  if (l.top_size() == 0 || l.top_size() != l.bottom_size()) return false;
  for (int i = 0; i < l.top_size(); ++i)
    if (l.top(i) != l.bottom(i)) return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string layer_colour(const caffe::LayerParameter& l) {
  const std::string& t = l.type();
  if (in_place(l)) return "#90EE90";
  if (t == "Input" || ends_with(t, "Data")) return "#6495ED";
  if (ends_with(t, "Loss")) return "#FFD700";
  if (t == "Convolution" || t == "Deconvolution") return "#FF5050";
  if (t == "Pooling") return "#FF9900";
  if (t == "InnerProduct") return "#CC33FF";
  if (t == "Accuracy") return "#FFF3B0";
  return "#D3D3D3";
}

// Caffe's draw.py rule: a layer is drawn when its include/exclude rules admit the phase.
bool admitted(const caffe::LayerParameter& l, std::optional<int> phase) {
  if (!phase) return true;
  if (l.include_size() > 0 && l.exclude_size() > 0)
    throw Error("layer '" + l.name() + "'", "has both include and exclude rules");
  bool included = l.include_size() == 0;
  for (const auto& r : l.include()) included = included || (r.has_phase() && r.phase() == *phase);
  for (const auto& r : l.exclude()) included = included && !(r.has_phase() && r.phase() == *phase);
  return included;
}

class GraphBuilder {
 public:
  explicit GraphBuilder(NetGraph& g) : g_(g) {}

  void add_layer(const caffe::LayerParameter& l) {
    std::string id = "layer:" + l.name();
    if (int n = ++layer_names_[l.name()]; n > 1) id += "#" + std::to_string(n);
    std::string label = l.name() + "\\n(" + l.type() + ")" + phase_tag(l);
    if (std::string p = key_params(l); !p.empty()) label += "\\n" + p;
    g_.nodes.push_back({id, label, true, layer_colour(l)});

    for (const auto& b : l.bottom()) g_.edges.push_back({current_blob(b), id});
    const bool inplace = in_place(l);
    for (const auto& t : l.top()) {
      // An in-place layer writes a new version of the blob it read.
      std::string blob = inplace ? new_version(t, l.name()) : current_blob(t);
      g_.edges.push_back({id, blob});
    }
  }

 private:
  std::string current_blob(const std::string& name) {
    auto it = version_.find(name);
    if (it != version_.end()) return it->second;
    return new_version(name, "");
  }

  std::string new_version(const std::string& name, const std::string& writer) {
    std::string id = "blob:" + name + (writer.empty() ? "" : "#" + writer);
    while (!ids_.insert(id).second) id += "'";
    g_.nodes.push_back({id, name, false, "#E0E0E0"});
    version_[name] = id;
    return id;
  }

  NetGraph& g_;
  std::map<std::string, std::string> version_;  // blob name -> id of its latest version
  std::map<std::string, int> layer_names_;
  std::set<std::string> ids_;
};

}  // namespace

NetGraph build_net_graph(const caffe::NetParameter& net, const std::string& rankdir,
                         std::optional<int> phase) {
  static const std::set<std::string> dirs = {"TB", "BT", "LR", "RL"};
  if (!dirs.count(rankdir)) throw Error("--rankdir", "expected TB, BT, LR or RL, got '" + rankdir + "'");
  if (net.layers_size() > 0 && net.layer_size() == 0)
    throw Error("net", "uses the legacy 'layers' field; upgrade it first (upgrade_net_proto_text)");
  NetGraph g;
  g.name = net.name().empty() ? "Net" : net.name();
  g.rankdir = rankdir;
  GraphBuilder b(g);
  for (const auto& l : net.layer())
    if (admitted(l, phase)) b.add_layer(l);
  return g;
}

}  // namespace cortado::authoring
