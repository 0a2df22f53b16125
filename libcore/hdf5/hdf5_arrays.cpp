// HDF5Array files (hdf5_io.hpp): the datasets of the HDF5Data and HDF5Output layers.
#include "hdf5/h5.hpp"
#include "hdf5/hdf5_io.hpp"
#include "util/error.hpp"

namespace cortado {

std::vector<HDF5Array> read_hdf5_arrays(const std::string& path,
                                        const std::vector<std::string>& names) {
  const h5::Location file = h5::open_file(path);
  std::vector<HDF5Array> arrays;
  for (const std::string& name : names) {
    HDF5Array a;
    a.name = name;
    a.shape = file.shape(name);
    size_t count = 1;
    for (int d : a.shape) count *= static_cast<size_t>(d);
    a.values.resize(count);
    file.read_floats(name, a.values.data(), count);
    arrays.push_back(std::move(a));
  }
  return arrays;
}

void write_hdf5_arrays(const std::string& path, const std::vector<HDF5Array>& arrays) {
  h5::NewFile file(path);
  for (const HDF5Array& a : arrays) {
    size_t count = 1;
    for (int d : a.shape) count *= static_cast<size_t>(d);
    CORTADO_ASSERT(count == a.values.size());
    file.write_floats(a.name, a.shape, a.values.data());
  }
  file.commit();
}

}  // namespace cortado
