#include "solvers/nonfinite.hpp"

#include <cmath>

#include "net/net.hpp"

namespace cortado {
namespace {

int count_non_finite(const Blob& b) {
  const float* p = b.data();
  int bad = 0;
  for (int i = 0; i < b.count(); ++i) bad += !std::isfinite(p[i]);
  return bad;
}

std::string describe(const std::string& what, int bad, int count) {
  return what + " (" + std::to_string(bad) + " of " + std::to_string(count) +
         " values non-finite)";
}

std::string first_bad_param_of(const Net& net, int layer) {
  const auto& blobs = net.layers()[layer]->blobs();
  for (size_t k = 0; k < blobs.size(); ++k)
    if (int bad = count_non_finite(*blobs[k]))
      return describe("parameter " + std::to_string(k) + " of layer '" +
                          net.layer_names()[layer] + "'",
                      bad, blobs[k]->count());
  return "";
}

}  // namespace

std::string first_non_finite(const Net& net) {
  for (size_t l = 0; l < net.layers().size(); ++l) {
    std::string p = first_bad_param_of(net, static_cast<int>(l));
    if (!p.empty()) return p;
    const auto& tops = net.top_vecs()[l];
    for (size_t t = 0; t < tops.size(); ++t)
      if (int bad = count_non_finite(*tops[t]))
        return describe("'" + net.blob_names()[net.top_ids(static_cast<int>(l))[t]] +
                            "' (top of layer '" + net.layer_names()[l] + "')",
                        bad, tops[t]->count());
  }
  return "";
}

std::string first_non_finite_param(const Net& net) {
  for (size_t l = 0; l < net.layers().size(); ++l) {
    std::string p = first_bad_param_of(net, static_cast<int>(l));
    if (!p.empty()) return p;
  }
  return "";
}

}  // namespace cortado
