// Building a Net: filtering by state, inserting splits, wiring blobs, setting up
// layers, collecting parameters and deciding which layers run backward. The
// INFO log lines are Caffe's, so users and their scripts find what they expect.
#include "net/net.hpp"

#include <algorithm>
#include <set>

#include "layers/registry.hpp"
#include "layers/relu.hpp"
#include "net/insert_splits.hpp"
#include "net/state_rules.hpp"
#include "net/upgrade.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

std::string layer_where(const caffe::LayerParameter& p) {
  return "layer '" + p.name() + "' (" + p.type() + ")";
}

// Caffe's BatchNorm keeps its statistics out of learning by giving its three
// blobs lr_mult 0; do it here so freezing holds whatever the layer does.
void freeze_batchnorm_statistics(caffe::LayerParameter* p) {
  if (p->type() != "BatchNorm") return;
  for (int i = 0; i < 3; ++i) {
    if (p->param_size() == i) {
      p->add_param()->set_lr_mult(0.f);
    } else if (p->param(i).lr_mult() != 0.f) {
      throw Error(layer_where(*p), "param " + std::to_string(i) +
                                       " has lr_mult " + std::to_string(p->param(i).lr_mult()) +
                                       ": batch normalization statistics cannot be learned "
                                       "parameters (use lr_mult: 0 or no param)");
    }
  }
}

}  // namespace

Net::Net(const caffe::NetParameter& param) { init(param); }

Net::Net(const caffe::NetParameter& param, caffe::Phase phase, int level,
         const std::vector<std::string>& stages) {
  caffe::NetParameter p(param);
  caffe::NetState* state = p.mutable_state();
  state->set_phase(phase);
  state->set_level(level);
  for (const auto& s : stages) state->add_stage(s);
  init(p);
}

std::unique_ptr<Net> Net::from_file(const std::string& prototxt, caffe::Phase phase, int level,
                                    const std::vector<std::string>& stages) {
  caffe::NetParameter p;
  read_net_param_text(prototxt, &p);
  return std::make_unique<Net>(p, phase, level, stages);
}

Net::~Net() = default;

void Net::init(const caffe::NetParameter& in_param) {
  caffe::NetParameter param = prepare(in_param);
  name_ = param.name();
  std::map<std::string, int> blob_name_to_idx;
  std::set<std::string> available;  // produced and not yet consumed
  const int n = param.layer_size();
  bottom_vecs_.resize(n);
  top_vecs_.resize(n);
  bottom_id_vecs_.resize(n);
  top_id_vecs_.resize(n);
  param_id_vecs_.resize(n);
  bottom_need_backward_.resize(n);
  memory_used_ = 0;
  for (int layer_id = 0; layer_id < n; ++layer_id) {
    caffe::LayerParameter* lp = param.mutable_layer(layer_id);
    if (!lp->has_phase()) lp->set_phase(phase_);
    freeze_batchnorm_statistics(lp);
    if (lp->propagate_down_size() > 0 && lp->propagate_down_size() != lp->bottom_size())
      throw Error(layer_where(*lp), "propagate_down must be given 0 or " +
                                        std::to_string(lp->bottom_size()) +
                                        " times (once per bottom), got " +
                                        std::to_string(lp->propagate_down_size()));
    LOG_INFO("Creating layer {}", lp->name());
    layers_.push_back(create_layer(*lp));
    layer_names_.push_back(lp->name());
    LOG_INFO("Creating Layer {}", lp->name());
    const bool bottoms_need_backward = connect(param, layer_id, &blob_name_to_idx, &available);
    set_up_layer(param, layer_id);
    const bool need_backward = set_up_params(param, layer_id) || bottoms_need_backward;
    layer_need_backward_.push_back(need_backward);
    if (need_backward)
      for (int id : top_id_vecs_[layer_id]) blob_need_backward_[id] = true;
  }
  decide_backward(param);
  // Whatever no layer consumed is an output, in name order as in Caffe.
  for (const auto& name : available) {
    LOG_INFO("This network produces output {}", name);
    net_output_blobs_.push_back(blobs_[blob_name_to_idx[name]].get());
    net_output_blob_indices_.push_back(blob_name_to_idx[name]);
  }
  for (size_t i = 0; i < blob_names_.size(); ++i)
    blob_names_index_[blob_names_[i]] = static_cast<int>(i);
  for (size_t i = 0; i < layer_names_.size(); ++i)
    layer_names_index_[layer_names_[i]] = static_cast<int>(i);
  // Shared parameters point at their owner's memory.
  shares_params_.assign(layers_.size(), false);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (param_owners_[i] < 0) continue;
    params_[i]->share_data(*params_[param_owners_[i]]);
    params_[i]->share_diff(*params_[param_owners_[i]]);
    shares_params_[param_layer_indices_[i].first] = true;
    shares_params_[param_layer_indices_[param_owners_[i]].first] = true;
  }
  debug_info_ = param.debug_info();
  LOG_INFO("Network initialization done.");
}

// Upgraded (nets handed over in memory may still use old formats), filtered by
// the state's rules, with splits inserted.
caffe::NetParameter Net::prepare(const caffe::NetParameter& in_param) {
  caffe::NetParameter upgraded(in_param);
  if (net_needs_upgrade(upgraded))
    upgrade_net_as_needed("net '" + upgraded.name() + "'", &upgraded);
  phase_ = upgraded.state().phase();
  caffe::NetParameter filtered;
  filter_net(upgraded, &filtered);
  LOG_INFO("Initializing net from parameters: \n{}", filtered.DebugString());
  caffe::NetParameter param;
  insert_splits(filtered, &param);
  return param;
}

// Wires the layer's bottoms and tops; returns whether some bottom wants a gradient.
bool Net::connect(const caffe::NetParameter& param, int layer_id,
                  std::map<std::string, int>* blob_name_to_idx, std::set<std::string>* available) {
  const caffe::LayerParameter& lp = param.layer(layer_id);
  bool need_backward = false;
  for (int b = 0; b < lp.bottom_size(); ++b) {
    const int blob_id = append_bottom(param, layer_id, b, blob_name_to_idx);
    available->erase(lp.bottom(b));
    need_backward = need_backward || blob_need_backward_[blob_id];
  }
  for (int t = 0; t < lp.top_size(); ++t) {
    append_top(param, layer_id, t, blob_name_to_idx);
    available->insert(lp.top(t));
    if (lp.type() == "Input") {
      net_input_blob_indices_.push_back(top_id_vecs_[layer_id].back());
      net_input_blobs_.push_back(top_vecs_[layer_id].back());
    }
  }
  return need_backward;
}

// Registers the layer's parameter blobs; returns whether any of them learns
// (lr_mult > 0: a blob with lr_mult 0 gets no gradient).
bool Net::set_up_params(const caffe::NetParameter& param, int layer_id) {
  Layer& layer = *layers_[layer_id];
  const caffe::LayerParameter& actual = layer.layer_param();
  const int num_param_blobs = static_cast<int>(layer.blobs().size());
  if (actual.param_size() > num_param_blobs)
    throw Error(layer_where(actual), std::to_string(actual.param_size()) +
                                         " param specs given but the layer has " +
                                         std::to_string(num_param_blobs) + " parameter blob(s)");
  bool learns_any = false;
  for (int p = 0; p < num_param_blobs; ++p) {
    const bool learns = p < actual.param_size() ? actual.param(p).lr_mult() > 0.f : true;
    learns_any = learns_any || learns;
    layer.set_param_propagate_down(p, learns);
  }
  for (int p = 0; p < num_param_blobs; ++p) append_param(param, layer_id, p);
  return learns_any;
}

void Net::set_up_layer(const caffe::NetParameter& param, int layer_id) {
  Layer& layer = *layers_[layer_id];
  const caffe::LayerParameter& lp = param.layer(layer_id);
  // Loss layers may get their one declared top created for them.
  if (layer.auto_top_blobs()) {
    const int needed = std::max(layer.min_top_blobs(), layer.exact_num_top_blobs());
    for (int t = lp.top_size(); t < needed; ++t) append_top(param, layer_id, t, nullptr);
  }
  LOG_INFO("Setting up {}", layer_names_[layer_id]);
  try {
    layer.setup(bottom_vecs_[layer_id], top_vecs_[layer_id]);
  } catch (const Error& e) {
    // Every setup error names the layer, even one raised by a helper that does not know it.
    if (e.where().find("layer '" + lp.name() + "'") != std::string::npos) throw;
    throw Error(layer_where(lp), e.what());
  }
  for (size_t t = 0; t < top_vecs_[layer_id].size(); ++t) {
    const int blob_id = top_id_vecs_[layer_id][t];
    if (static_cast<int>(blob_loss_weights_.size()) <= blob_id)
      blob_loss_weights_.resize(blob_id + 1, 0.f);
    const float w = layer.loss(static_cast<int>(t));
    blob_loss_weights_[blob_id] = w;
    LOG_INFO("Top shape: {}", top_vecs_[layer_id][t]->shape_string());
    if (w != 0.f) LOG_INFO("    with loss weight {}", w);
    memory_used_ += static_cast<size_t>(top_vecs_[layer_id][t]->count());
  }
  LOG_INFO("Memory required for data: {}", memory_used_ * sizeof(float));
}

// A new top blob, or the bottom's blob again for an in-place layer (top i == bottom i).
// `blob_name_to_idx` is null for automatic tops, which no other layer may use.
void Net::append_top(const caffe::NetParameter& param, int layer_id, int top_id,
                     std::map<std::string, int>* blob_name_to_idx) {
  const caffe::LayerParameter& lp = param.layer(layer_id);
  const std::string blob_name = top_id < lp.top_size() ? lp.top(top_id) : "(automatic)";
  if (blob_name_to_idx && top_id < lp.bottom_size() && blob_name == lp.bottom(top_id)) {
    LOG_INFO("{} -> {} (in-place)", lp.name(), blob_name);
    const int id = blob_name_to_idx->at(blob_name);
    top_vecs_[layer_id].push_back(blobs_[id].get());
    top_id_vecs_[layer_id].push_back(id);
    return;
  }
  if (blob_name_to_idx && blob_name_to_idx->count(blob_name))
    throw Error(layer_where(lp),
                "top '" + blob_name +
                    "' is already produced by an earlier layer; a layer may reuse a blob name "
                    "only in place (top i == bottom i)");
  LOG_INFO("{} -> {}", lp.name(), blob_name);
  auto blob = std::make_shared<Blob>();
  const int id = static_cast<int>(blobs_.size());
  blobs_.push_back(blob);
  blob_names_.push_back(blob_name);
  blob_need_backward_.push_back(false);
  if (blob_name_to_idx) (*blob_name_to_idx)[blob_name] = id;
  top_id_vecs_[layer_id].push_back(id);
  top_vecs_[layer_id].push_back(blob.get());
}

int Net::append_bottom(const caffe::NetParameter& param, int layer_id, int bottom_id,
                       std::map<std::string, int>* blob_name_to_idx) {
  const caffe::LayerParameter& lp = param.layer(layer_id);
  const std::string& blob_name = lp.bottom(bottom_id);
  auto it = blob_name_to_idx->find(blob_name);
  // insert_splits has already checked that every bottom has a producer; a blob
  // consumed twice without a split would be a bug there.
  if (it == blob_name_to_idx->end())
    throw Error(layer_where(lp), "unknown bottom blob '" + blob_name + "' (index " +
                                     std::to_string(bottom_id) + ")");
  const int id = it->second;
  LOG_INFO("{} <- {}", layer_names_[layer_id], blob_name);
  bottom_vecs_[layer_id].push_back(blobs_[id].get());
  bottom_id_vecs_[layer_id].push_back(id);
  const bool propagate = lp.propagate_down_size() == 0 || lp.propagate_down(bottom_id);
  bottom_need_backward_[layer_id].push_back(blob_need_backward_[id] && propagate);
  return id;
}

void Net::append_param(const caffe::NetParameter& /*param*/, int layer_id, int param_id) {
  const caffe::LayerParameter& lp = layers_[layer_id]->layer_param();
  const caffe::ParamSpec spec = param_id < lp.param_size() ? lp.param(param_id) : caffe::ParamSpec();
  const std::string& pname = spec.name();
  param_display_names_.push_back(pname.empty() ? std::to_string(param_id) : pname);
  const int net_param_id = static_cast<int>(params_.size());
  params_.push_back(layers_[layer_id]->blobs()[param_id]);
  param_id_vecs_[layer_id].push_back(net_param_id);
  param_layer_indices_.emplace_back(layer_id, param_id);
  if (pname.empty() || !param_names_index_.count(pname)) {
    // This layer owns the blob: anonymous, or a name seen for the first time.
    param_owners_.push_back(-1);
    if (!pname.empty()) param_names_index_[pname] = net_param_id;
    learnable_param_ids_.push_back(static_cast<int>(learnable_params_.size()));
    learnable_params_.push_back(params_[net_param_id].get());
    has_params_lr_.push_back(spec.has_lr_mult());
    has_params_decay_.push_back(spec.has_decay_mult());
    params_lr_.push_back(spec.lr_mult());
    params_weight_decay_.push_back(spec.decay_mult());
    return;
  }
  // A name seen before: share the owner's blob.
  const int owner = param_names_index_[pname];
  param_owners_.push_back(owner);
  const auto [owner_layer, owner_param] = param_layer_indices_[owner];
  LOG_INFO("Sharing parameters '{}' owned by layer '{}', param index {}", pname,
           layer_names_[owner_layer], owner_param);
  const Blob& mine = *params_[net_param_id];
  const Blob& theirs = *params_[owner];
  const std::string where = layer_where(lp);
  if (spec.share_mode() == caffe::ParamSpec::PERMISSIVE) {
    if (mine.count() != theirs.count())
      throw Error(where, "shared parameter '" + pname + "' has " + std::to_string(mine.count()) +
                             " values here but " + std::to_string(theirs.count()) +
                             " in its owner, layer '" + layer_names_[owner_layer] + "'");
  } else if (mine.shape() != theirs.shape()) {
    throw Error(where, "shared parameter '" + pname + "' has shape " + mine.shape_string() +
                           " here but " + theirs.shape_string() + " in its owner, layer '" +
                           layer_names_[owner_layer] +
                           "' (share_mode PERMISSIVE compares counts only)");
  }
  const int learnable_id = learnable_param_ids_[owner];
  learnable_param_ids_.push_back(learnable_id);
  if (spec.has_lr_mult()) {
    if (has_params_lr_[learnable_id] && params_lr_[learnable_id] != spec.lr_mult())
      throw Error(where, "shared parameter '" + pname + "' has mismatched lr_mult");
    has_params_lr_[learnable_id] = true;
    params_lr_[learnable_id] = spec.lr_mult();
  }
  if (spec.has_decay_mult()) {
    if (has_params_decay_[learnable_id] && params_weight_decay_[learnable_id] != spec.decay_mult())
      throw Error(where, "shared parameter '" + pname + "' has mismatched decay_mult");
    has_params_decay_[learnable_id] = true;
    params_weight_decay_[learnable_id] = spec.decay_mult();
  }
}

// Walks the net backwards: a layer runs backward only if some top feeds a loss
// (directly or through later layers) and some bottom or parameter wants a gradient.
void Net::decide_backward(const caffe::NetParameter& param) {
  std::set<std::string> under_loss, skip_backprop;
  for (int layer_id = static_cast<int>(layers_.size()) - 1; layer_id >= 0; --layer_id) {
    bool contributes_loss = false, skip_propagate_down = true;
    for (size_t t = 0; t < top_vecs_[layer_id].size(); ++t) {
      const std::string& name = blob_names_[top_id_vecs_[layer_id][t]];
      if (layers_[layer_id]->loss(static_cast<int>(t)) != 0.f || under_loss.count(name))
        contributes_loss = true;
      if (!skip_backprop.count(name)) skip_propagate_down = false;
      if (contributes_loss && !skip_propagate_down) break;
    }
    // Every top's consumers declined a gradient: nothing to propagate.
    if (layer_need_backward_[layer_id] && skip_propagate_down) {
      layer_need_backward_[layer_id] = false;
      for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b)
        bottom_need_backward_[layer_id][b] = false;
    }
    if (!contributes_loss) layer_need_backward_[layer_id] = false;
    if (layer_need_backward_[layer_id])
      LOG_INFO("{} needs backward computation.", layer_names_[layer_id]);
    else
      LOG_INFO("{} does not need backward computation.", layer_names_[layer_id]);
    for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
      const std::string& name = blob_names_[bottom_id_vecs_[layer_id][b]];
      if (contributes_loss)
        under_loss.insert(name);
      else
        bottom_need_backward_[layer_id][b] = false;
      if (!bottom_need_backward_[layer_id][b]) skip_backprop.insert(name);
    }
  }
  if (!param.force_backward()) return;
  for (size_t layer_id = 0; layer_id < layers_.size(); ++layer_id) {
    layer_need_backward_[layer_id] = true;
    for (size_t b = 0; b < bottom_need_backward_[layer_id].size(); ++b) {
      const bool need = bottom_need_backward_[layer_id][b] ||
                        layers_[layer_id]->allow_force_backward(static_cast<int>(b));
      bottom_need_backward_[layer_id][b] = need;
      const int id = bottom_id_vecs_[layer_id][b];
      blob_need_backward_[id] = blob_need_backward_[id] || need;
    }
    for (size_t p = 0; p < layers_[layer_id]->blobs().size(); ++p)
      layers_[layer_id]->set_param_propagate_down(static_cast<int>(p), true);
  }
}

// --- lookups -------------------------------------------------------------------

bool Net::has_blob(const std::string& name) const { return blob_names_index_.count(name) > 0; }
bool Net::has_layer(const std::string& name) const { return layer_names_index_.count(name) > 0; }

int Net::layer_index(const std::string& name) const {
  auto it = layer_names_index_.find(name);
  return it == layer_names_index_.end() ? -1 : it->second;
}

namespace {
std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

std::shared_ptr<Blob> Net::blob_by_name(const std::string& name) const {
  auto it = blob_names_index_.find(name);
  if (it == blob_names_index_.end())
    throw Error("net '" + name_ + "'",
                "no blob named '" + name + "' (blobs: " + join_names(blob_names_) + ")");
  return blobs_[it->second];
}

std::shared_ptr<Layer> Net::layer_by_name(const std::string& name) const {
  auto it = layer_names_index_.find(name);
  if (it == layer_names_index_.end())
    throw Error("net '" + name_ + "'",
                "no layer named '" + name + "' (layers: " + join_names(layer_names_) + ")");
  return layers_[it->second];
}

std::vector<Layer*> Net::layers_of_type(const std::string& type) const {
  std::vector<Layer*> out;
  for (const auto& l : layers_)
    if (type == l->type()) out.push_back(l.get());
  return out;
}

void Net::set_mode(Mode mode) {
  const bool entering_gpu = mode == Mode::gpu && mode_ != Mode::gpu;
  mode_ = mode;
  for (auto& l : layers_) l->set_mode(mode);
  if (entering_gpu) {
    fuse_relus_gpu();
    log_cpu_fallbacks();
  }
}

// An in-place ReLU is fused into the layer just before it (Layer::fuse_relu_gpu)
// where nothing can tell: the ReLU's blob is that layer's only top, which no layer
// reads in between, carries no loss, and gets its gradient exactly when the layer
// runs backward; both run on the device; the slope is not negative (the ReLU's output
// then tells where its input was positive).
void Net::fuse_relus_gpu() {
  for (size_t i = 1; i < layers_.size(); ++i) {
    auto* relu = dynamic_cast<ReLULayer*>(layers_[i].get());
    Layer& producer = *layers_[i - 1];
    if (!relu || relu->fused_into_previous_gpu()) continue;
    const float slope = relu->layer_param().relu_param().negative_slope();
    const std::vector<int>& top = top_id_vecs_[i - 1];
    const bool fusable =
        slope >= 0 && producer.can_fuse_relu_gpu() && producer.has_gpu_kernels() &&
        relu->has_gpu_kernels() && top.size() == 1 && bottom_id_vecs_[i] == top &&
        top_id_vecs_[i] == top && producer.loss(0) == 0.f &&
        bottom_need_backward_[i][0] == layer_need_backward_[i - 1];
    if (!fusable) continue;
    producer.fuse_relu_gpu(slope);
    relu->set_fused_into_previous_gpu(true);
    LOG_DEBUG("GPU: {} applies {}'s ReLU in its own passes", layer_names_[i - 1], layer_names_[i]);
  }
}

// Said once, when the net goes to the GPU, so that nobody mistakes a run whose
// slow layers compute on the host for a GPU run.
void Net::log_cpu_fallbacks() const {
  std::vector<std::string> fallbacks;
  for (size_t i = 0; i < layers_.size(); ++i)
    if (!layers_[i]->has_gpu_kernels())
      fallbacks.push_back(layer_names_[i] + " (" + layers_[i]->type() + ")");
  const std::string net =
      "net '" + name_ + "' (" + (phase_ == caffe::TRAIN ? "TRAIN" : "TEST") + ")";
  if (fallbacks.empty()) {
    LOG_INFO("GPU mode: all {} layers of {} have GPU kernels", layers_.size(), net);
    return;
  }
  std::string list;
  for (const auto& f : fallbacks) list += (list.empty() ? "" : ", ") + f;
  LOG_WARN("GPU mode: {} of {} layers of {} have no GPU kernels and compute on the CPU "
           "(their blobs are copied between host and device): {}",
           fallbacks.size(), layers_.size(), net, list);
}

}  // namespace cortado
