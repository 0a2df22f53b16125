#pragma once
// Reading a solver prototxt the way Caffe's ReadSolverParamsFromTextFileOrDie
// does, and checking it up front so that every mistake is a one-line Error
// naming the solver file (Caffe aborts on CHECKs deep inside the solver).
#include <string>
#include <vector>

namespace caffe {
class SolverParameter;
}

namespace cortado {

// Parses `path` and applies Caffe's upgrades: the deprecated solver_type enum
// becomes the type string; a missing snapshot_prefix becomes the solver's path
// without its extension; a snapshot_prefix that is a folder gets the solver
// file's stem appended.
void read_solver_params(const std::string& path, caffe::SolverParameter* param);

// Exactly one train net source, test_iter for each test net, a known type and
// lr_policy with usable parameters, a supported snapshot format. `where` names
// the solver in errors.
void check_solver_params(const caffe::SolverParameter& param, const std::string& where);

// "a,b,c" -> {"a","b","c"} (weights lists, --stage); empty items dropped.
std::vector<std::string> split_commas(const std::string& list);

}  // namespace cortado
