#include "layers/flatten.hpp"

#include "util/error.hpp"

namespace cortado {

void FlattenLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (top[0] == bottom[0]) throw Error(where(), "cannot run in place (top is the bottom)");
  const Blob& x = *bottom[0];
  const auto& p = param_.flatten_param();
  const int n = x.num_axes();
  auto canonical = [&](int axis, const char* name) {
    if (axis < -n || axis >= n)
      throw Error(where(), std::string(name) + " " + std::to_string(axis) +
                               " is out of range for a bottom of shape " + x.shape_string());
    return axis < 0 ? axis + n : axis;
  };
  const int start = canonical(p.axis(), "axis");
  const int end = canonical(p.end_axis(), "end_axis");
  if (end < start)
    throw Error(where(), "end_axis " + std::to_string(p.end_axis()) + " comes before axis " +
                             std::to_string(p.axis()));
  std::vector<int> shape(x.shape().begin(), x.shape().begin() + start);
  shape.push_back(x.count(start, end + 1));
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  top[0]->reshape(shape);
  top[0]->share_data(x);
  top[0]->share_diff(x);
}

}  // namespace cortado
