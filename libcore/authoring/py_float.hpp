#pragma once
// Python's repr() of a float: the shortest digits that read back to the same
// double, in fixed notation for exponents -4..15 ("0.0", "4.12651",
// "100.0") and scientific otherwise ("1e-05", "1.5e+16"). Caffe's
// parse_log.py writes every number this way, so matching it byte for byte
// needs the same rule.
#include <string>

namespace cortado::authoring {

std::string py_float_repr(double v);

}  // namespace cortado::authoring
