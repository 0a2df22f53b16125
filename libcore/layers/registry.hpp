#pragma once
// Layer types are registered explicitly, in one table (registry.cpp), not by
// static initializers, which a static library silently drops.
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

// An unknown type is an Error naming it and listing the known ones; the Python
// type is refused (a model file must never run code).
std::unique_ptr<Layer> create_layer(const caffe::LayerParameter& param);
std::vector<std::string> known_layer_types();

}  // namespace cortado
