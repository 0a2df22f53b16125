#pragma once
// NetGraph through Graphviz's own library (cgraph + gvc, the "dot" layout):
// DOT text, or a laid-out PNG, SVG or PDF.
#include <string>

#include "authoring/net_graph.hpp"

namespace cortado::authoring {

// The graph in DOT, before layout (what Caffe's draw.py hands to pydot).
std::string graph_to_dot(const NetGraph& g);

// Writes `out_path` (atomically); the format comes from its extension:
// .png, .svg, .pdf (laid out by dot) or .dot (the DOT text).
void render_graph(const NetGraph& g, const std::string& out_path);

}  // namespace cortado::authoring
