#pragma once
// Nets from testdata/ for the GPU tests: a prototxt read into a NetParameter, and the
// solver tests' LeNet with its LMDB sources made absolute, so that it runs from any
// working folder.
#include <fstream>
#include <sstream>
#include <string>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {

inline caffe::NetParameter read_net(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  caffe::NetParameter net;
  parse_text_proto(text.str(), path, net);
  return net;
}

inline caffe::NetParameter lenet() {
  caffe::NetParameter net = read_net(testdata("solvers/lenet_train_test.prototxt"));
  for (auto& layer : *net.mutable_layer())
    if (layer.type() == "Data")
      layer.mutable_data_param()->set_source(testdata("lmdb/" + layer.data_param().source()));
  return net;
}

}  // namespace cortado::test
