#pragma once
// A GoogLeNet-sized net (the BVLC GoogLeNet deploy layout, 140+ layers) made
// with NetBuilder, for draw_net's large-net tests.
namespace caffe {
class NetParameter;
}

namespace cortado::test {

caffe::NetParameter googlenet_like();

}  // namespace cortado::test
