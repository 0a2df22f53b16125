#pragma once
// draw_net's picture of a net, before Graphviz lays it out: layers as boxes
// labelled with their name, type and key parameters; blobs as octagons.
// An in-place layer (top == bottom, e.g. ReLU) reads one version of its blob
// and writes the next, drawn as a new octagon of the same name, so that a
// chain conv -> relu -> dropout stays a straight line instead of Caffe's loops.
// Data, loss, convolution, pooling, inner-product and in-place layers each get
// a colour of their own.
#include <optional>
#include <string>
#include <vector>

namespace caffe {
class NetParameter;
}

namespace cortado::authoring {

struct GraphNode {
  std::string id;     // unique: "layer:conv1", "blob:conv1", "blob:conv1#relu1"
  std::string label;  // lines separated by the escape \n (two characters; Graphviz centres each line)
  bool is_layer = false;
  std::string fill;   // "#RRGGBB"
};

struct GraphEdge {
  std::string from, to;  // node ids
};

struct NetGraph {
  std::string name;
  std::string rankdir = "LR";
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
};

// `phase`: 0 TRAIN, 1 TEST, empty for all layers (Caffe's draw_net.py ALL).
// `rankdir` is TB, BT, LR or RL.
NetGraph build_net_graph(const caffe::NetParameter& net, const std::string& rankdir,
                         std::optional<int> phase);

}  // namespace cortado::authoring
