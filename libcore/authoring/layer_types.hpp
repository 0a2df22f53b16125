#pragma once
// The layer types a net may name, and which `*_param` messages of
// LayerParameter hold their settings. NetSpec works this out from the schema
// (ConvolutionParameter -> "Convolution"); a table says the same for the types
// whose names differ (Deconvolution uses convolution_param) and adds the
// messages a type shares with others (transform_param, loss_param).
#include <string>
#include <vector>

namespace cortado::authoring {

struct LayerTypeInfo {
  const char* type;                 // as written in `type: "..."`
  const char* param;                // its own *_param field, or "" when none
  std::vector<const char*> shared;  // further *_param fields it reads
};

// Null for a type BVLC Caffe does not know.
const LayerTypeInfo* find_layer_type(const std::string& type);
std::vector<std::string> layer_type_names();

}  // namespace cortado::authoring
