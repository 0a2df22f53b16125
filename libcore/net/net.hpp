#pragma once
// A Net: a directed acyclic graph of layers in the order of the prototxt, as
// Caffe's Net. Built from a NetParameter and a NetState: layers whose
// include/exclude rules reject the state are dropped, Split layers are inserted
// where one top feeds several bottoms, in-place layers share their blob,
// shared parameters (ParamSpec.name) point at their owner's memory, and only
// the layers that lead to a loss run backward.
//
// The learnable parameters have two views, as in Caffe:
//   params()            every parameter blob of every layer, shared duplicates included;
//   learnable_params()  the owners only (what a solver updates), with params_lr(),
//                       params_weight_decay() and has_params_lr/decay() indexed alike.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class Net {
 public:
  // The state (phase, level, stages) is param.state().
  explicit Net(const caffe::NetParameter& param);
  // The state given here replaces param.state().
  Net(const caffe::NetParameter& param, caffe::Phase phase, int level = 0,
      const std::vector<std::string>& stages = {});
  // Reads a prototxt (upgrading V0/V1 nets as Caffe does) and builds it.
  static std::unique_ptr<Net> from_file(const std::string& prototxt, caffe::Phase phase,
                                        int level = 0,
                                        const std::vector<std::string>& stages = {});
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  // --- running ---
  // Runs every layer forward and returns the total weighted loss.
  float forward();
  // Layers [start, end] inclusive, as Caffe's ForwardFromTo.
  float forward_from_to(int start, int end);
  float forward_from(int start);
  float forward_to(int end);
  // Runs backward over the layers that need it, from the last to the first.
  void backward();
  void backward_from_to(int start, int end);
  void backward_from(int start);
  void backward_to(int end);
  float forward_backward();
  // Propagates changed input shapes through every layer.
  void reshape();
  // data -= diff for every learnable parameter (solvers usually do this themselves).
  void update();
  // Zeroes every learnable parameter's diff. In GPU mode `also_words` 4-byte words at
  // `also` (device memory, e.g. the CUDA graph's result words) are zeroed in the same
  // launch.
  void clear_param_diffs(void* also = nullptr, size_t also_words = 0);

  // --- weights ---
  // Shares the learnable blobs of same-named layers (test nets use the train net's).
  void share_trained_layers_with(const Net& other);
  // Copies blobs by layer name. Source layers missing here are logged and skipped;
  // a blob count or shape mismatch is an Error naming the layer and both shapes.
  // Returns how many layers got blobs.
  int copy_trained_layers_from(const caffe::NetParameter& param);
  // A binary caffemodel (old V0/V1 files are upgraded). One file, not a list. A file
  // none of whose layers gives this net (when it has parameters) any blob is an Error:
  // every layer renamed, or weights of another net, would go on with the fillers'.
  void copy_trained_layers_from(const std::string& caffemodel);
  // The net as Caffe would write it: each layer's full LayerParameter plus its blobs.
  void to_proto(caffe::NetParameter* param, bool write_diff = false) const;
  // Writes to_proto() as a binary caffemodel (atomically).
  void save_caffemodel(const std::string& path, bool write_diff = false) const;
  // Caffe's HDF5 weights (.caffemodel.h5, libcore/hdf5/): groups data/<layer>/0,1,...
  // (and diff/... with write_diff), a shared parameter written by its owner only; written
  // atomically. Reading copies by layer name as above (a missing dataset of a shared
  // parameter is skipped). copy_trained_layers_from(path) comes here for a path ending
  // in .h5. In a build without HDF5 (hdf5_supported()) both are an Error saying so.
  void save_hdf5(const std::string& path, bool write_diff = false) const;
  void copy_trained_layers_from_hdf5(const std::string& path);

  // --- settings ---
  // Going to Mode::gpu logs the layers that have no GPU kernels (they run on the CPU).
  void set_mode(Mode mode);
  Mode mode() const { return mode_; }
  // Logs mean absolute data/diff per blob in forward, backward and update (Caffe's debug_info).
  void set_debug_info(bool on) { debug_info_ = on; }
  bool debug_info() const { return debug_info_; }
  // The "[Update]" debug line of params()[param_id]; solvers call it after updating.
  void update_debug_info(int param_id) const;

  // --- structure ---
  const std::string& name() const { return name_; }
  caffe::Phase phase() const { return phase_; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  const std::vector<std::string>& layer_names() const { return layer_names_; }
  const std::vector<std::shared_ptr<Blob>>& blobs() const { return blobs_; }
  const std::vector<std::string>& blob_names() const { return blob_names_; }
  bool has_blob(const std::string& name) const;
  bool has_layer(const std::string& name) const;
  // Throw an Error listing the known names when `name` is missing.
  std::shared_ptr<Blob> blob_by_name(const std::string& name) const;
  std::shared_ptr<Layer> layer_by_name(const std::string& name) const;
  int layer_index(const std::string& name) const;  // -1 if missing
  // The layers whose type() equals `type` (e.g. "Data", to save their cursors).
  std::vector<Layer*> layers_of_type(const std::string& type) const;

  const std::vector<BlobVec>& bottom_vecs() const { return bottom_vecs_; }
  const std::vector<BlobVec>& top_vecs() const { return top_vecs_; }
  const std::vector<int>& bottom_ids(int layer) const { return bottom_id_vecs_[layer]; }
  const std::vector<int>& top_ids(int layer) const { return top_id_vecs_[layer]; }
  const std::vector<std::vector<bool>>& bottom_need_backward() const {
    return bottom_need_backward_;
  }
  const std::vector<bool>& layer_need_backward() const { return layer_need_backward_; }
  const std::vector<float>& blob_loss_weights() const { return blob_loss_weights_; }

  // The tops of Input layers (the deprecated net-level inputs become an Input layer).
  const BlobVec& input_blobs() const { return net_input_blobs_; }
  const std::vector<int>& input_blob_indices() const { return net_input_blob_indices_; }
  // Tops that no later layer consumes.
  const BlobVec& output_blobs() const { return net_output_blobs_; }
  const std::vector<int>& output_blob_indices() const { return net_output_blob_indices_; }

  // --- parameters ---
  const std::vector<std::shared_ptr<Blob>>& params() const { return params_; }
  const std::vector<Blob*>& learnable_params() const { return learnable_params_; }
  const std::vector<float>& params_lr() const { return params_lr_; }
  const std::vector<bool>& has_params_lr() const { return has_params_lr_; }
  const std::vector<float>& params_weight_decay() const { return params_weight_decay_; }
  const std::vector<bool>& has_params_decay() const { return has_params_decay_; }
  // Per entry of params(): -1 for an owner, else the index in params() of its owner.
  const std::vector<int>& param_owners() const { return param_owners_; }
  // Per entry of params(): its ParamSpec.name, or the index in its layer as a string.
  const std::vector<std::string>& param_display_names() const { return param_display_names_; }
  // Per entry of params(): (layer index, index of the blob in that layer).
  const std::vector<std::pair<int, int>>& param_layer_indices() const {
    return param_layer_indices_;
  }
  // Per entry of params(): its index in learnable_params().
  const std::vector<int>& learnable_param_ids() const { return learnable_param_ids_; }
  const std::map<std::string, int>& param_names_index() const { return param_names_index_; }

  // Bytes of float data held by the tops (Caffe's "Memory required for data").
  size_t memory_used_bytes() const { return memory_used_ * sizeof(float); }

 private:
  void init(const caffe::NetParameter& in_param);
  caffe::NetParameter prepare(const caffe::NetParameter& in_param);
  bool connect(const caffe::NetParameter& param, int layer_id,
               std::map<std::string, int>* blob_name_to_idx, std::set<std::string>* available);
  bool set_up_params(const caffe::NetParameter& param, int layer_id);
  void append_top(const caffe::NetParameter& param, int layer_id, int top_id,
                  std::map<std::string, int>* blob_name_to_idx);
  int append_bottom(const caffe::NetParameter& param, int layer_id, int bottom_id,
                    std::map<std::string, int>* blob_name_to_idx);
  void append_param(const caffe::NetParameter& param, int layer_id, int param_id);
  void set_up_layer(const caffe::NetParameter& param, int layer_id);
  void decide_backward(const caffe::NetParameter& param);
  void forward_debug_info(int layer_id) const;
  void log_cpu_fallbacks() const;
  void fuse_relus_gpu();
  void backward_debug_info(int layer_id) const;

  std::string name_;
  caffe::Phase phase_ = caffe::TEST;
  Mode mode_ = Mode::cpu;
  bool debug_info_ = false;

  std::vector<std::shared_ptr<Layer>> layers_;
  std::vector<std::string> layer_names_;
  std::map<std::string, int> layer_names_index_;
  std::vector<bool> layer_need_backward_;

  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<std::string> blob_names_;
  std::map<std::string, int> blob_names_index_;
  std::vector<bool> blob_need_backward_;
  std::vector<float> blob_loss_weights_;

  std::vector<BlobVec> bottom_vecs_, top_vecs_;
  std::vector<std::vector<int>> bottom_id_vecs_, top_id_vecs_;
  std::vector<std::vector<bool>> bottom_need_backward_;
  std::vector<std::vector<int>> param_id_vecs_;

  BlobVec net_input_blobs_, net_output_blobs_;
  std::vector<int> net_input_blob_indices_, net_output_blob_indices_;

  std::vector<std::shared_ptr<Blob>> params_;
  std::vector<Blob*> learnable_params_;
  std::vector<int> learnable_param_ids_;
  std::vector<float> params_lr_, params_weight_decay_;
  std::vector<bool> has_params_lr_, has_params_decay_;
  std::vector<int> param_owners_;
  std::vector<std::string> param_display_names_;
  std::vector<std::pair<int, int>> param_layer_indices_;
  std::map<std::string, int> param_names_index_;
  std::vector<bool> shares_params_;  // per layer: owns or uses a shared parameter

  size_t memory_used_ = 0;
};

// Copies weights from each caffemodel of a comma-separated list, in order (the
// `--weights a.caffemodel,b.caffemodel` of Caffe's tools).
void copy_weights_from_list(Net& net, const std::string& caffemodels);

}  // namespace cortado
