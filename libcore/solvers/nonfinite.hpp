#pragma once
// Finding where a NaN or an infinity first appears in a net, to name it in the
// error that stops training.
#include <string>

namespace cortado {

class Net;

// In forward order: each layer's parameters, then its tops. "" if all finite.
// E.g. "'ip2' (top of layer 'ip2', 3 of 640 values non-finite)".
std::string first_non_finite(const Net& net);
// The learnable parameters only (what a snapshot would write).
std::string first_non_finite_param(const Net& net);

}  // namespace cortado
