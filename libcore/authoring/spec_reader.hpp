#pragma once
// netgen's spec files: NetSpec in its own words, one assignment per line.
//
//   data, label = Data(source="train_lmdb", backend=LMDB, batch_size=64,
//                      transform_param=dict(scale=1./255), ntop=2)
//   conv1 = Convolution(data, kernel_size=5, num_output=20, weight_filler=dict(type="xavier"))
//   "conv1/7x7_s2" = Convolution(data, kernel_size=7, stride=2, num_output=64)
//   relu1 = ReLU(conv1, in_place=True)
//
// A pasted pycaffe script reads too: `n.conv1 = L.Convolution(n.data, ...)`,
// `n["a/b"] = ...`, `P.Pooling.MAX`, import lines and `n = caffe.NetSpec()`.
// Names bound to plain values (`bs = 64`) are variables for later lines; a
// string given where a bottom goes names a top (for names Python cannot spell).
#include <string>

namespace caffe {
class NetParameter;
}

namespace cortado::authoring {

class NetBuilder;

// Adds the layers of the spec `text` (read from `file`, for errors) to `net`.
void read_spec(const std::string& text, const std::string& file, NetBuilder& net);

// Reads a spec file into a NetParameter named `net_name` (may be empty).
caffe::NetParameter read_spec_file(const std::string& path, const std::string& net_name);

}  // namespace cortado::authoring
