#pragma once
// Caffe's HDF5 files, as far as they are not Net members: the solverstate
// (.solverstate.h5) and the arrays of the HDF5Data and HDF5Output layers. Built from hdf5_*.cpp when CMake finds HDF5 (CORTADO_WITH_HDF5),
// else from hdf5_none.cpp, whose functions throw an Error saying this build has no
// HDF5 support. Net::save_hdf5 and Net::copy_trained_layers_from_hdf5 (net.hpp) are
// selected the same way.
#include <string>
#include <vector>

namespace caffe {
class SolverState;
}

namespace cortado {

// Whether this build reads and writes HDF5 files.
bool hdf5_supported();

// Throws Error(path, "... this build has no HDF5 support ...") in a build without it.
void require_hdf5(const std::string& path);

// Caffe's layout: int datasets "iter" and "current_step", string "learned_net", group
// "history" with float datasets "0".."n-1" (shapes of the BlobProtos). Our exact-resume
// fields (SolverState numbers >= 10000: data cursors, RNG, loss window) go into one more
// dataset, "cortado_state" (the serialized SolverState without history), which Caffe
// ignores. Written atomically (util/atomic_file.hpp).
void write_solver_state_hdf5(const std::string& path, const caffe::SolverState& state);
// The inverse: `state` as the binary .solverstate would have given it (history blobs
// with their shapes); a file written by Caffe gives no exact-resume fields.
void read_solver_state_hdf5(const std::string& path, caffe::SolverState* state);

// A float N-d dataset at the root of a file (HDF5Data reads them, HDF5Output writes them).
struct HDF5Array {
  std::string name;
  std::vector<int> shape;
  std::vector<float> values;  // row-major, the product of shape
};
// Reads the datasets `names` (float or integer, read as floats) of the file `path`; a
// missing file or dataset is an Error naming the file and the dataset.
std::vector<HDF5Array> read_hdf5_arrays(const std::string& path,
                                        const std::vector<std::string>& names);
// Writes `arrays` as the datasets of a new file `path` (replacing it), atomically.
void write_hdf5_arrays(const std::string& path, const std::vector<HDF5Array>& arrays);

}  // namespace cortado
