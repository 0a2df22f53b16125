#include "layers/input.hpp"

#include "util/error.hpp"

namespace cortado {

void InputLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& top) {
  const int num_top = static_cast<int>(top.size());
  const int num_shape = param_.input_param().shape_size();
  if (num_shape != 0 && num_shape != 1 && num_shape != num_top)
    throw Error(where(), "input_param has " + std::to_string(num_shape) + " shapes for " +
                             std::to_string(num_top) +
                             " tops; give one shape, one per top, or none");
  // (Caffe lets pycaffe shape such tops later; no tool of ours could feed them)
  if (num_shape == 0)
    throw Error(where(), "input_param gives its tops no shape; add shape { dim: ... }");
  for (int i = 0; i < num_top; ++i)
    top[i]->reshape(param_.input_param().shape(num_shape == 1 ? 0 : i));
}

}  // namespace cortado
