#include "solvers/finetune_report.hpp"

#include <set>

#include "caffe.pb.h"
#include "net/net.hpp"

namespace cortado {
namespace {

bool all_frozen(const Layer& layer) {
  const auto& p = layer.layer_param();
  const int n = static_cast<int>(const_cast<Layer&>(layer).blobs().size());
  for (int k = 0; k < n; ++k)
    if (k >= p.param_size() || p.param(k).lr_mult() != 0.f) return false;
  return n > 0;
}

}  // namespace

FinetuneReport finetune_report(const Net& net, const caffe::NetParameter& pretrained) {
  std::set<std::string> source;
  for (const auto& l : pretrained.layer())
    if (l.blobs_size() > 0) source.insert(l.name());
  for (const auto& l : pretrained.layers())  // V1 files not yet upgraded
    if (l.blobs_size() > 0) source.insert(l.name());
  FinetuneReport r;
  std::set<std::string> used;
  for (size_t i = 0; i < net.layers().size(); ++i) {
    Layer& layer = *net.layers()[i];
    if (layer.blobs().empty()) continue;
    const std::string& name = net.layer_names()[i];
    if (source.count(name)) {
      r.copied.push_back(name);
      used.insert(name);
    } else {
      r.fresh.push_back(name);
    }
    if (all_frozen(layer)) r.frozen.push_back(name);
  }
  for (const auto& name : source)
    if (!used.count(name)) r.unused.push_back(name);
  return r;
}

}  // namespace cortado
