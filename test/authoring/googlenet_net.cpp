#include "googlenet_net.hpp"

#include <string>

#include "authoring/net_builder.hpp"
#include "caffe.pb.h"

namespace cortado::test {
namespace {

using authoring::Dict;
using authoring::Kwargs;
using authoring::NetBuilder;
using authoring::Top;
using authoring::Value;

Top conv_relu(NetBuilder& n, const std::string& name, const std::string& relu, Top in, int out,
              int kernel, int stride = 1, int pad = 0) {
  Kwargs k{{"num_output", out}, {"kernel_size", kernel}, {"weight_filler", Dict{{"type", "xavier"}}}};
  if (stride > 1) k.push_back({"stride", stride});
  if (pad > 0) k.push_back({"pad", pad});
  n.add(name, "Convolution", {in}, k);
  return n.add(relu, "ReLU", {n[name]}, {{"in_place", true}});
}

Top max_pool(NetBuilder& n, const std::string& name, Top in, int kernel, int stride, int pad = 0) {
  Kwargs k{{"pool", Value::enum_name("MAX")}, {"kernel_size", kernel}, {"stride", stride}};
  if (pad > 0) k.push_back({"pad", pad});
  return n.add(name, "Pooling", {in}, k);
}

// One inception module: 1x1, 3x3 (reduced), 5x5 (reduced) and pooled branches, concatenated.
Top inception(NetBuilder& n, const std::string& m, Top in, int c1, int r3, int c3, int r5, int c5,
              int proj) {
  const std::string p = "inception_" + m + "/";
  Top a = conv_relu(n, p + "1x1", p + "relu_1x1", in, c1, 1);
  Top b = conv_relu(n, p + "3x3_reduce", p + "relu_3x3_reduce", in, r3, 1);
  b = conv_relu(n, p + "3x3", p + "relu_3x3", b, c3, 3, 1, 1);
  Top c = conv_relu(n, p + "5x5_reduce", p + "relu_5x5_reduce", in, r5, 1);
  c = conv_relu(n, p + "5x5", p + "relu_5x5", c, c5, 5, 1, 2);
  Top d = max_pool(n, p + "pool", in, 3, 1, 1);
  d = conv_relu(n, p + "pool_proj", p + "relu_pool_proj", d, proj, 1);
  return n.add(p + "output", "Concat", {a, b, c, d});
}

}  // namespace

caffe::NetParameter googlenet_like() {
  NetBuilder n("GoogleNet");
  Top x = n.add("data", "Input", {}, {{"shape", Dict{{"dim", authoring::List{10, 3, 224, 224}}}}});
  x = conv_relu(n, "conv1/7x7_s2", "conv1/relu_7x7", x, 64, 7, 2, 3);
  x = max_pool(n, "pool1/3x3_s2", x, 3, 2);
  x = n.add("pool1/norm1", "LRN", {x}, {{"local_size", 5}, {"alpha", 0.0001}, {"beta", 0.75}});
  x = conv_relu(n, "conv2/3x3_reduce", "conv2/relu_3x3_reduce", x, 64, 1);
  x = conv_relu(n, "conv2/3x3", "conv2/relu_3x3", x, 192, 3, 1, 1);
  x = n.add("conv2/norm2", "LRN", {x}, {{"local_size", 5}, {"alpha", 0.0001}, {"beta", 0.75}});
  x = max_pool(n, "pool2/3x3_s2", x, 3, 2);
  x = inception(n, "3a", x, 64, 96, 128, 16, 32, 32);
  x = inception(n, "3b", x, 128, 128, 192, 32, 96, 64);
  x = max_pool(n, "pool3/3x3_s2", x, 3, 2);
  x = inception(n, "4a", x, 192, 96, 208, 16, 48, 64);
  x = inception(n, "4b", x, 160, 112, 224, 24, 64, 64);
  x = inception(n, "4c", x, 128, 128, 256, 24, 64, 64);
  x = inception(n, "4d", x, 112, 144, 288, 32, 64, 64);
  x = inception(n, "4e", x, 256, 160, 320, 32, 128, 128);
  x = max_pool(n, "pool4/3x3_s2", x, 3, 2);
  x = inception(n, "5a", x, 256, 160, 320, 32, 128, 128);
  x = inception(n, "5b", x, 384, 192, 384, 48, 128, 128);
  x = n.add("pool5/7x7_s1", "Pooling", {x},
            {{"pool", Value::enum_name("AVE")}, {"kernel_size", 7}, {"stride", 1}});
  x = n.add("pool5/drop_7x7_s1", "Dropout", {x}, {{"dropout_ratio", 0.4}, {"in_place", true}});
  x = n.add("loss3/classifier", "InnerProduct", {x}, {{"num_output", 1000}});
  n.add("prob", "Softmax", {x});
  return n.net();
}

}  // namespace cortado::test
