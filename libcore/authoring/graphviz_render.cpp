#include "authoring/graphviz_render.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado::authoring {
namespace {

// cgraph's API takes char* for strings it only reads.
char* c(const std::string& s) { return const_cast<char*>(s.c_str()); }
char* c(const char* s) { return const_cast<char*>(s); }

// Graphviz reports problems through a callback; keep the last one for our error.
std::string& last_graphviz_error() {
  static std::string msg;
  return msg;
}
int collect_error(char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (!s.empty()) last_graphviz_error() = s;
  return 0;
}

struct GraphCloser {
  void operator()(Agraph_t* g) const { agclose(g); }
};
using GraphPtr = std::unique_ptr<Agraph_t, GraphCloser>;

// Defaults chosen so that GoogLeNet-sized nets stay legible: compact nodes,
// readable fonts, modest spacing between ranks.
void set_defaults(Agraph_t* g, const NetGraph& ng) {
  agattr(g, AGRAPH, c("rankdir"), c(ng.rankdir));
  agattr(g, AGRAPH, c("fontname"), c("Helvetica"));
  agattr(g, AGRAPH, c("nodesep"), c("0.25"));
  agattr(g, AGRAPH, c("ranksep"), c("0.35"));
  agattr(g, AGNODE, c("fontname"), c("Helvetica"));
  agattr(g, AGNODE, c("fontsize"), c("10"));
  agattr(g, AGNODE, c("style"), c("filled"));
  agattr(g, AGNODE, c("shape"), c("octagon"));
  agattr(g, AGNODE, c("fillcolor"), c("#E0E0E0"));
  agattr(g, AGNODE, c("label"), c("\\N"));
  agattr(g, AGNODE, c("margin"), c("0.08,0.04"));
  agattr(g, AGNODE, c("height"), c("0.3"));
  agattr(g, AGEDGE, c("arrowsize"), c("0.6"));
}

GraphPtr to_cgraph(const NetGraph& ng) {
  last_graphviz_error().clear();
  agseterrf(&collect_error);
  GraphPtr g(agopen(c(ng.name), Agdirected, nullptr));
  if (!g) throw Error("draw_net", "Graphviz cannot create a graph");
  set_defaults(g.get(), ng);
  std::map<std::string, Agnode_t*> nodes;
  for (const auto& n : ng.nodes) {
    Agnode_t* node = agnode(g.get(), c(n.id), 1);
    agsafeset(node, c("label"), c(n.label), c(""));
    agsafeset(node, c("fillcolor"), c(n.fill), c(""));
    if (n.is_layer) {
      agsafeset(node, c("shape"), c("box"), c(""));
      agsafeset(node, c("style"), c("filled,rounded"), c(""));
    }
    nodes[n.id] = node;
  }
  for (const auto& e : ng.edges) {
    auto from = nodes.find(e.from), to = nodes.find(e.to);
    CORTADO_ASSERT(from != nodes.end() && to != nodes.end());
    agedge(g.get(), from->second, to->second, nullptr, 1);
  }
  return g;
}

std::string write_dot(Agraph_t* g) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  if (!mem) throw Error("draw_net", "out of memory");
  agwrite(g, mem);
  std::fclose(mem);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

}  // namespace

std::string graph_to_dot(const NetGraph& g) { return write_dot(to_cgraph(g).get()); }

void render_graph(const NetGraph& ng, const std::string& out_path) {
  std::string ext = fs::path(out_path).extension().string();
  if (!ext.empty()) ext = ext.substr(1);
  if (ext == "dot" || ext == "gv") {
    write_file_atomic(out_path, graph_to_dot(ng));
    return;
  }
  if (ext != "png" && ext != "svg" && ext != "pdf")
    throw Error(out_path, "draw_net writes .png, .svg, .pdf or .dot, not '." + ext + "'");
  GraphPtr g = to_cgraph(ng);
  std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), &gvFreeContext);
  if (gvLayout(gvc.get(), g.get(), "dot") != 0)
    throw Error(out_path, "Graphviz could not lay out the net: " + last_graphviz_error());
  char* data = nullptr;
  unsigned int len = 0;
  const int rc = gvRenderData(gvc.get(), g.get(), ext.c_str(), &data, &len);
  std::string bytes = rc == 0 && data ? std::string(data, len) : std::string();
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0 || bytes.empty())
    throw Error(out_path, "Graphviz cannot render " + ext +
                              (last_graphviz_error().empty() ? "" : ": " + last_graphviz_error()) +
                              " (its plugins come with Debian's libgvc6)");
  write_file_atomic(out_path, bytes);
}

}  // namespace cortado::authoring
