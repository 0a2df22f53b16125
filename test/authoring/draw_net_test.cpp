// draw_net end to end: the DOT text against Caffe's draw.py graph for LeNet
// (same layers, blobs and edges), PNG/SVG/PDF through Graphviz, and a
// GoogLeNet-sized net.
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

#include "caffe.pb.h"
#include "googlenet_net.hpp"
#include "support/tool_runner.hpp"
#include "util/atomic_file.hpp"
#include "util/proto_io.hpp"

using cortado::read_file;
using cortado::test::run_tool;
using cortado::test::temp_dir;
using cortado::test::testdata;

namespace {

using EdgeSet = std::set<std::string>;  // "L:conv1->B:conv1"

// A DOT node token, unquoted.
std::string unquote(const std::string& s) {
  return s.size() >= 2 && s.front() == '"' ? s.substr(1, s.size() - 2) : s;
}

// Edges of our DOT: node ids are "layer:NAME[#k]" and "blob:NAME[#writer]".
EdgeSet our_edges(const std::string& dot) {
  EdgeSet out;
  static const std::regex edge(R"re(^\s*("[^"]*"|\S+) -> ("[^"]*"|\S+)\s*;)re");
  auto name = [](const std::string& id) {
    const bool layer = id.rfind("layer:", 0) == 0;
    std::string n = id.substr(layer ? 6 : 5);
    return (layer ? "L:" : "B:") + n.substr(0, n.find('#'));
  };
  std::smatch m;
  size_t b = 0;
  while (b < dot.size()) {
    size_t e = dot.find('\n', b);
    std::string line = dot.substr(b, e - b);
    if (std::regex_search(line, m, edge)) out.insert(name(unquote(m[1])) + "->" + name(unquote(m[2])));
    b = e == std::string::npos ? dot.size() : e + 1;
  }
  return out;
}

// Edges of Caffe's pydot graph: a layer node is its label "NAME\n(TYPE)...", a blob its name.
EdgeSet caffe_edges(const std::string& dot) {
  EdgeSet out;
  static const std::regex edge(R"re(^("[^"]*"|\S+) -> ("[^"]*"|\S+)\s)re");
  auto name = [](const std::string& token) {
    std::string s = unquote(token);
    size_t nl = s.find("\\n(");
    return nl == std::string::npos ? "B:" + s : "L:" + s.substr(0, nl);
  };
  std::smatch m;
  size_t b = 0;
  while (b < dot.size()) {
    size_t e = dot.find('\n', b);
    std::string line = dot.substr(b, e - b);
    if (std::regex_search(line, m, edge)) out.insert(name(m[1]) + "->" + name(m[2]));
    b = e == std::string::npos ? dot.size() : e + 1;
  }
  return out;
}

// The edges a net should have, by layer and blob names.
EdgeSet expected_edges(const caffe::NetParameter& net) {
  EdgeSet out;
  for (const auto& l : net.layer()) {
    for (const auto& b : l.bottom()) out.insert("B:" + b + "->L:" + l.name());
    for (const auto& t : l.top()) out.insert("L:" + l.name() + "->B:" + t);
  }
  return out;
}

std::string draw(const std::string& net, const std::string& out, const std::string& flags = "") {
  auto r = run_tool("draw_net", net + " " + out + " " + flags);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return read_file(out);
}

}  // namespace

TEST_CASE("draw_net's LeNet graph has Caffe's layers, blobs and edges", "[authoring][draw_net]") {
  const std::string dir = temp_dir("draw_lenet");
  const std::string net = testdata("authoring/lenet_train_test.prototxt");
  const std::string dot = draw(net, dir + "/lenet.dot");
  REQUIRE(dot.find("rankdir=LR") != std::string::npos);
  REQUIRE(our_edges(dot) == caffe_edges(read_file(testdata("authoring/lenet_draw_LR.dot"))));
  for (const char* id : {"\"layer:mnist\"", "\"layer:mnist#2\"", "\"layer:conv1\"", "\"layer:relu1\"",
                         "\"layer:accuracy\"", "\"layer:loss\"", "\"blob:data\"", "\"blob:label\"",
                         "\"blob:ip1\"", "\"blob:ip1#relu1\"", "\"blob:loss\""}) {
    INFO(id);
    REQUIRE(dot.find(id) != std::string::npos);
  }
  // Labels carry the type and the key parameters.
  REQUIRE(dot.find("conv1\\n(Convolution)\\nkernel 5, stride 1, pad 0\\noutputs 20") != std::string::npos);
  REQUIRE(dot.find("pool1\\n(Pooling)\\nMAX 2, stride 2, pad 0") != std::string::npos);
  // The in-place ReLU writes a new version of ip1, so the chain has no loop.
  REQUIRE(dot.find("\"blob:ip1\" -> \"layer:relu1\"") != std::string::npos);
  REQUIRE(dot.find("\"layer:relu1\" -> \"blob:ip1#relu1\"") != std::string::npos);
  REQUIRE(dot.find("\"blob:ip1#relu1\" -> \"layer:ip2\"") != std::string::npos);
}

TEST_CASE("draw_net --phase TRAIN --rankdir TB keeps TRAIN layers", "[authoring][draw_net]") {
  const std::string dir = temp_dir("draw_train");
  const std::string dot = draw(testdata("authoring/lenet_train_test.prototxt"), dir + "/train.dot",
                               "--phase TRAIN --rankdir TB");
  REQUIRE(dot.find("rankdir=TB") != std::string::npos);
  REQUIRE(dot.find("layer:accuracy") == std::string::npos);
  REQUIRE(dot.find("layer:mnist#2") == std::string::npos);
  REQUIRE(our_edges(dot) == caffe_edges(read_file(testdata("authoring/lenet_draw_LR_TRAIN.dot"))));
}

TEST_CASE("draw_net renders LeNet to PNG, SVG and PDF", "[authoring][draw_net]") {
  const std::string dir = temp_dir("draw_render");
  const std::string net = testdata("authoring/lenet_train_test.prototxt");
  const std::string png = draw(net, dir + "/lenet.png");
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  const std::string svg = draw(net, dir + "/lenet.svg");
  REQUIRE(svg.find("<svg") != std::string::npos);
  for (const char* text : {"conv1", "(Convolution)", "ip1", "SoftmaxWithLoss"}) {
    INFO(text);
    REQUIRE(svg.find(text) != std::string::npos);
  }
  REQUIRE(draw(net, dir + "/lenet.pdf").rfind("%PDF", 0) == 0);
}

TEST_CASE("draw_net draws a GoogLeNet-sized net", "[authoring][draw_net]") {
  const std::string dir = temp_dir("draw_googlenet");
  const caffe::NetParameter net = cortado::test::googlenet_like();
  REQUIRE(net.layer_size() >= 140);
  const std::string path = dir + "/googlenet.prototxt";
  cortado::write_text_proto(path, net);

  const std::string dot = draw(path, dir + "/googlenet.dot", "--rankdir TB");
  REQUIRE(our_edges(dot) == expected_edges(net));
  for (const auto& l : net.layer()) {
    INFO(l.name());
    REQUIRE(dot.find("\"layer:" + l.name() + "\"") != std::string::npos);
    for (const auto& t : l.top()) REQUIRE(dot.find("\"blob:" + t) != std::string::npos);
  }
  const std::string png = draw(path, dir + "/googlenet.png", "--rankdir TB");
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  const std::string svg = draw(path, dir + "/googlenet.svg");
  REQUIRE(svg.find("inception_5b/output") != std::string::npos);
}
