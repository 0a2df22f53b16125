// draw_net: a picture of a net prototxt through Graphviz, as Caffe's python/draw_net.py.
#include <optional>
#include <string>

#include "authoring/graphviz_render.hpp"
#include "authoring/net_graph.hpp"
#include "caffe.pb.h"
#include "net/upgrade.hpp"
#include "util/error.hpp"
#include "util/tool_main.hpp"

namespace au = cortado::authoring;

namespace {

struct Flags {
  std::string net, out, rankdir = "LR", phase = "ALL";
};

int run(const Flags& f) {
  caffe::NetParameter net;
  cortado::read_net_param_text(f.net, &net);
  std::optional<int> phase;
  if (f.phase == "TRAIN") phase = caffe::TRAIN;
  if (f.phase == "TEST") phase = caffe::TEST;
  au::NetGraph g = au::build_net_graph(net, f.rankdir, phase);
  au::render_graph(g, f.out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "draw_net",
      "Draws a net prototxt with Graphviz: layers as boxes (name, type, key parameters),\n"
      "blobs as octagons. The output format follows the extension: .png, .svg, .pdf or .dot.",
      [&](CLI::App& app) {
        app.add_option("NET", f.net, "net prototxt")->required();
        app.add_option("OUT", f.out, "picture to write (.png, .svg, .pdf, .dot)")->required();
        app.add_option("--rankdir", f.rankdir, "direction of the graph: LR (default), TB, BT or RL")
            ->check(CLI::IsMember({"TB", "BT", "LR", "RL"}));
        app.add_option("--phase", f.phase, "layers of TRAIN, TEST or ALL (default) phases")
            ->check(CLI::IsMember({"TRAIN", "TEST", "ALL"}));
      },
      [&] { return run(f); });
}
