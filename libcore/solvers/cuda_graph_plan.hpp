#pragma once
// Whether a training net's iteration can be captured in a CUDA graph, and from
// which layer (cuda/solvers/train_graph.hpp replays it). Plain host logic, so it is
// tested without a GPU. The leading layers without bottoms (Data, ImageData, Input,
// DummyData...) run eagerly before each replay: data layers wait on their prefetch
// copies there. Every later layer must be graph_safe() (its GPU code only queues
// device work); otherwise, or with iter_size > 1 or debug_info, training stays eager.
#include <string>

namespace caffe {
class SolverParameter;
}

namespace cortado {

class Net;

struct CudaGraphPlan {
  bool capturable = false;
  int first_layer = 0;  // the first captured layer; layers before it run eagerly
  std::string reason;   // why not capturable ("" when it is)
};

CudaGraphPlan plan_cuda_graph(const Net& net, const caffe::SolverParameter& solver);

}  // namespace cortado
