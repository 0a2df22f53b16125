// A build without HDF5 (CMake found none, or CORTADO_HDF5=OFF): every HDF5 file is
// an Error naming it and saying so, in one line.
#include "hdf5/hdf5_io.hpp"
#include "net/net.hpp"
#include "util/error.hpp"

namespace cortado {

bool hdf5_supported() { return false; }

void require_hdf5(const std::string& path) {
  throw Error(path,
              "this build has no HDF5 support (rebuild with libhdf5-dev installed, "
              "CORTADO_HDF5=ON), so HDF5 files are neither read nor written");
}

void write_solver_state_hdf5(const std::string& path, const caffe::SolverState&) {
  require_hdf5(path);
}

void read_solver_state_hdf5(const std::string& path, caffe::SolverState*) { require_hdf5(path); }

std::vector<HDF5Array> read_hdf5_arrays(const std::string& path,
                                        const std::vector<std::string>&) {
  require_hdf5(path);
  return {};
}

void write_hdf5_arrays(const std::string& path, const std::vector<HDF5Array>&) {
  require_hdf5(path);
}

void Net::save_hdf5(const std::string& path, bool) const { require_hdf5(path); }

void Net::copy_trained_layers_from_hdf5(const std::string& path) { require_hdf5(path); }

}  // namespace cortado
