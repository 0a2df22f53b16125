#include "solvers/cuda_graph_plan.hpp"

#include "caffe.pb.h"
#include "net/net.hpp"

namespace cortado {

CudaGraphPlan plan_cuda_graph(const Net& net, const caffe::SolverParameter& solver) {
  CudaGraphPlan plan;
  auto refuse = [&plan](std::string reason) {
    plan.capturable = false;
    plan.reason = std::move(reason);
    return plan;
  };
  if (solver.iter_size() != 1) return refuse("iter_size is " + std::to_string(solver.iter_size()));
  if (solver.debug_info()) return refuse("debug_info reads blobs on the host");
  const auto& layers = net.layers();
  const int n = static_cast<int>(layers.size());
  int first = 0;
  while (first < n && net.bottom_vecs()[first].empty()) ++first;
  for (int i = 0; i < first; ++i) {
    const Layer& l = *layers[i];
    if (net.layer_need_backward()[i])
      return refuse("layer '" + l.name() + "' (" + l.type() +
                    ") runs before the graph but needs backward");
    for (size_t t = 0; t < net.top_vecs()[i].size(); ++t)
      if (l.loss(static_cast<int>(t)) != 0.f)
        return refuse("layer '" + l.name() + "' (" + l.type() +
                      ") runs before the graph but has a loss");
  }
  if (first == n) return refuse("no layer after the data layers");
  for (int i = first; i < n; ++i) {
    const Layer& l = *layers[i];
    if (!l.has_gpu_kernels())
      return refuse("layer '" + l.name() + "' (" + l.type() + ") computes on the CPU");
    if (!l.graph_safe())
      return refuse("layer '" + l.name() + "' (" + l.type() +
                    ") is not graph-safe (host reads or per-call host state)");
  }
  plan.capturable = true;
  plan.first_layer = first;
  return plan;
}

}  // namespace cortado
