#pragma once
// NetSpec's keyword-to-schema rule, by protobuf reflection: a keyword that is a
// field of LayerParameter goes there, otherwise to the one message among the
// layer type's own *_param and the ones it shares (transform_param,
// loss_param, ...) that has it. A scalar given to a repeated field appends one
// value, a list appends each, dict(...) fills a message. A keyword found in
// none is unknown, one found in several (Data's scale: data_param or
// transform_param) ambiguous; both are errors naming the closest field names
// or the messages to choose from.
#include <string>

#include "authoring/value.hpp"

namespace caffe {
class LayerParameter;
}

namespace cortado::authoring {

struct LayerTypeInfo;

// `context` names the layer in errors when a value has no source position
// (values written in C++ by the templates).
void assign_kwargs(caffe::LayerParameter& layer, const LayerTypeInfo& type, const Kwargs& kwargs,
                   const std::string& context);

}  // namespace cortado::authoring
