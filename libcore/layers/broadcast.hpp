#pragma once
// The geometry Scale and Bias share: a parameter p whose shape matches the
// bottom's axes [axis, axis + p.num_axes()) is broadcast over the axes before
// (outer) and after (inner): y[o][d][i] = f(x[o][d][i], p[d]).
#include <string>
#include <vector>

namespace cortado {

class Blob;

struct BroadcastDims {
  int outer = 1;  // product of the bottom's axes before `axis`
  int dim = 1;    // the parameter's count
  int inner = 1;  // product of the bottom's axes after the parameter's
};

// The parameter shape for a bottom: its axes [axis, axis + num_axes), num_axes -1
// meaning "to the last axis". Bad axis/num_axes are Errors naming `where`.
std::vector<int> broadcast_param_shape(const Blob& bottom, int axis, int num_axes,
                                       const std::string& where);

// Checks that `param` fits `bottom` at `axis` (a 0-axis param always fits, at axis 0).
BroadcastDims broadcast_dims(const Blob& bottom, const Blob& param, int axis,
                             const std::string& where);

}  // namespace cortado
