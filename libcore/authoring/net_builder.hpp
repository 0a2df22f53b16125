#pragma once
// A net builder that reads like NetSpec:
//
//   NetBuilder n;
//   n.add_layer({"data", "label"}, "Data", {}, {{"source", "train_lmdb"}, {"batch_size", 64},
//                {"backend", Value::enum_name("LMDB")}, {"ntop", 2}});
//   n.add("conv1", "Convolution", {n["data"]}, {{"num_output", 20}, {"kernel_size", 5}});
//   n.add("relu1", "ReLU", {n["conv1"]}, {{"in_place", true}});
//
// NetSpec's naming rules hold: a layer is named after its first top; a top is
// named after the name it is assigned to, or "<Type><N>" when it has none;
// in_place=True makes the tops the bottoms; ntop sets the number of tops
// (ntop=0 layers are named after the assignment, or "<Type><N>"); a `name`
// keyword overrides the layer's name. Layers come out in the order added.
// Both the spec reader and the built-in templates go through this class.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "authoring/value.hpp"

namespace caffe {
class NetParameter;
}

namespace cortado::authoring {

// One top of a layer already added: the handle NetSpec calls a Top.
struct Top {
  int layer = -1;
  int index = 0;
};

class NetBuilder {
 public:
  explicit NetBuilder(const std::string& net_name = "");
  ~NetBuilder();
  NetBuilder(const NetBuilder&) = delete;
  NetBuilder& operator=(const NetBuilder&) = delete;

  // Adds a layer; `names` are the names its tops are assigned to (none: all
  // automatic). Errors point at `pos` (the call in a spec file) when set.
  std::vector<Top> add_layer(const std::vector<std::string>& names, const std::string& type,
                             const std::vector<Top>& bottoms, const Kwargs& kwargs,
                             const SrcPos& pos = {});
  // The usual case: one top assigned to `name`.
  Top add(const std::string& name, const std::string& type, const std::vector<Top>& bottoms,
          const Kwargs& kwargs = {}, const SrcPos& pos = {});

  // The top assigned to `name`; an Error if there is none.
  Top operator[](const std::string& name) const;
  bool has(const std::string& name) const { return named_.count(name) > 0; }
  std::vector<std::string> names() const;
  // The blob a top stands for (for an in-place layer, its bottom's blob).
  const std::string& blob_name(Top t) const;
  const caffe::NetParameter& net() const { return *net_; }

 private:
  std::string auto_name(const std::string& type);

  std::unique_ptr<caffe::NetParameter> net_;
  std::map<std::string, Top> named_;
  std::map<std::string, int> autonames_;  // per type, as NetSpec's Counter
};

}  // namespace cortado::authoring
