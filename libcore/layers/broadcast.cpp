#include "layers/broadcast.hpp"

#include "blob/blob.hpp"
#include "util/error.hpp"

namespace cortado {

namespace {
int checked_axis(const Blob& bottom, int axis, const std::string& where) {
  const int n = bottom.num_axes();
  if (axis < -n || axis >= n)
    throw Error(where, "axis " + std::to_string(axis) + " is out of range for a bottom of shape " +
                           bottom.shape_string());
  return axis < 0 ? axis + n : axis;
}
}  // namespace

std::vector<int> broadcast_param_shape(const Blob& bottom, int axis, int num_axes,
                                       const std::string& where) {
  const int start = checked_axis(bottom, axis, where);
  if (num_axes < -1)
    throw Error(where, "num_axes must be non-negative, or -1 for all axes from `axis`, got " +
                           std::to_string(num_axes));
  const int end = num_axes == -1 ? bottom.num_axes() : start + num_axes;
  if (end > bottom.num_axes())
    throw Error(where, "axis " + std::to_string(start) + " with num_axes " +
                           std::to_string(num_axes) + " runs past a bottom of shape " +
                           bottom.shape_string());
  return std::vector<int>(bottom.shape().begin() + start, bottom.shape().begin() + end);
}

BroadcastDims broadcast_dims(const Blob& bottom, const Blob& param, int axis,
                             const std::string& where) {
  const int start = param.num_axes() == 0 ? 0 : checked_axis(bottom, axis, where);
  const int end = start + param.num_axes();
  bool fits = end <= bottom.num_axes();
  for (int i = 0; fits && i < param.num_axes(); ++i)
    fits = bottom.shape(start + i) == param.shape(i);
  if (!fits)
    throw Error(where, "a parameter of shape " + param.shape_string() +
                           " does not match a bottom of shape " + bottom.shape_string() +
                           " at axis " + std::to_string(start));
  return {bottom.count(0, start), param.count(), bottom.count(end)};
}

}  // namespace cortado
