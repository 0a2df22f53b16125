#include "layers/registry.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "util/error.hpp"

// One include per layer family; each family's header declares its classes.
// (engine helpers: add your includes and table rows in your own block below)

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
      // --- neuron and structural layers ---
      // --- loss, softmax and data layers ---
  };
  return t;
}

}  // namespace

std::unique_ptr<Layer> create_layer(const caffe::LayerParameter& param) {
  const std::string& type = param.type();
  if (type == "Python")
    throw Error("layer '" + param.name() + "'",
                "type Python is refused: Cortado never runs code named in a model file");
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
