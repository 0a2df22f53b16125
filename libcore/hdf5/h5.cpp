// The HDF5 wrapper (h5.hpp): HDF5's own error stack printing is turned off; each
// failed call becomes an Error naming the file and the link.
#include "hdf5/h5.hpp"

#include <hdf5_hl.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado::h5 {
namespace {

void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::string join(const std::string& path, const std::string& name) {
  if (name.empty()) return path.empty() ? "/" : path;
  return path + "/" + name;
}

}  // namespace

Location::Location(hid_t id, bool is_file, std::string file, std::string path)
    : id_(id), is_file_(is_file), file_(std::move(file)), path_(std::move(path)) {}

Location::~Location() {
  if (id_ < 0) return;
  if (is_file_)
    H5Fclose(id_);
  else
    H5Gclose(id_);
}

Location::Location(Location&& other) noexcept
    : id_(other.id_), is_file_(other.is_file_), file_(other.file_), path_(other.path_) {
  other.id_ = -1;
}

std::string Location::where(const std::string& name) const {
  return file_ + ":" + join(path_, name);
}

bool Location::has(const std::string& name) const {
  if (name.empty()) return false;
  size_t pos = 0;
  while (true) {
    const size_t slash = name.find('/', pos);
    const std::string prefix = name.substr(0, slash);
    if (prefix.empty() || prefix.back() == '/' || H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    if (slash == std::string::npos) return true;
    if (!is_group(prefix)) return false;
    pos = slash + 1;
  }
}

bool Location::is_group(const std::string& name) const {
  const hid_t obj = H5Oopen(id_, name.c_str(), H5P_DEFAULT);
  if (obj < 0) return false;
  const bool group = H5Iget_type(obj) == H5I_GROUP;
  H5Oclose(obj);
  return group;
}

std::vector<std::string> Location::links() const {
  H5G_info_t info;
  if (H5Gget_info(id_, &info) < 0) throw Error(where(), "cannot list its links");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw Error(where(), "cannot read the name of link " + std::to_string(i));
    std::string name(static_cast<size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(size));
    names.push_back(name);
  }
  return names;
}

Location Location::group(const std::string& name) const {
  if (!has(name) || !is_group(name)) throw Error(where(name), "no such group");
  const hid_t g = H5Gopen2(id_, name.c_str(), H5P_DEFAULT);
  if (g < 0) throw Error(where(name), "cannot open the group");
  return Location(g, false, file_, join(path_, name));
}

Location Location::create_group(const std::string& name) const {
  // A layer named "a/b" makes the group "a" first; a later layer "a" then reuses it.
  if (has(name) && is_group(name)) return group(name);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t g = H5Gcreate2(id_, name.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  if (g < 0) throw Error(where(name), "cannot create the group");
  return Location(g, false, file_, join(path_, name));
}

std::vector<int> Location::shape(const std::string& dataset) const {
  if (!has(dataset) || is_group(dataset)) throw Error(where(dataset), "no such dataset");
  int ndims = 0;
  if (H5LTget_dataset_ndims(id_, dataset.c_str(), &ndims) < 0)
    throw Error(where(dataset), "cannot read the dataset's rank");
  std::vector<hsize_t> dims(static_cast<size_t>(ndims));
  H5T_class_t cls;
  size_t type_size = 0;
  if (H5LTget_dataset_info(id_, dataset.c_str(), dims.data(), &cls, &type_size) < 0)
    throw Error(where(dataset), "cannot read the dataset's shape");
  return std::vector<int>(dims.begin(), dims.end());
}

void Location::read_floats(const std::string& dataset, float* out, size_t count) const {
  const std::vector<int> dims = shape(dataset);
  size_t n = 1;
  for (int d : dims) n *= static_cast<size_t>(d);
  H5T_class_t cls;
  size_t type_size = 0;
  std::vector<hsize_t> unused(dims.size());
  H5LTget_dataset_info(id_, dataset.c_str(), unused.data(), &cls, &type_size);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw Error(where(dataset), "is not a float or integer dataset");
  if (n != count)
    throw Error(where(dataset),
                "holds " + std::to_string(n) + " values, expected " + std::to_string(count));
  if (H5LTread_dataset_float(id_, dataset.c_str(), out) < 0)
    throw Error(where(dataset), "cannot read the dataset");
}

void Location::write_floats(const std::string& dataset, const std::vector<int>& shape,
                            const float* data) const {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  if (H5LTmake_dataset_float(id_, dataset.c_str(), static_cast<int>(dims.size()), dims.data(),
                             data) < 0)
    throw Error(where(dataset), "cannot write the float dataset");
}

int Location::read_int(const std::string& dataset) const {
  const std::vector<int> dims = shape(dataset);
  size_t n = 1;
  for (int d : dims) n *= static_cast<size_t>(d);
  if (n != 1) throw Error(where(dataset), "is not a single int (" + std::to_string(n) + " values)");
  int value = 0;
  if (H5LTread_dataset_int(id_, dataset.c_str(), &value) < 0)
    throw Error(where(dataset), "cannot read the int dataset");
  return value;
}

void Location::write_int(const std::string& dataset, int value) const {
  const hsize_t one = 1;  // Caffe's hdf5_save_int: a 1-D dataset of one int
  if (H5LTmake_dataset_int(id_, dataset.c_str(), 1, &one, &value) < 0)
    throw Error(where(dataset), "cannot write the int dataset");
}

std::string Location::read_string(const std::string& dataset) const {
  if (!has(dataset) || is_group(dataset)) throw Error(where(dataset), "no such dataset");
  H5T_class_t cls;
  size_t size = 0;
  if (H5LTget_dataset_info(id_, dataset.c_str(), nullptr, &cls, &size) < 0 || cls != H5T_STRING)
    throw Error(where(dataset), "is not a string dataset");
  std::string value(size + 1, '\0');
  if (H5LTread_dataset_string(id_, dataset.c_str(), value.data()) < 0)
    throw Error(where(dataset), "cannot read the string dataset");
  value.resize(value.find('\0'));
  return value;
}

void Location::write_string(const std::string& dataset, const std::string& value) const {
  if (H5LTmake_dataset_string(id_, dataset.c_str(), value.c_str()) < 0)
    throw Error(where(dataset), "cannot write the string dataset");
}

std::string Location::read_bytes(const std::string& dataset) const {
  const std::vector<int> dims = shape(dataset);
  if (dims.size() != 1) throw Error(where(dataset), "is not a 1-D byte dataset");
  std::string bytes(static_cast<size_t>(dims[0]), '\0');
  if (!bytes.empty() && H5LTread_dataset(id_, dataset.c_str(), H5T_NATIVE_UCHAR, bytes.data()) < 0)
    throw Error(where(dataset), "cannot read the byte dataset");
  return bytes;
}

void Location::write_bytes(const std::string& dataset, const std::string& bytes) const {
  const hsize_t n = bytes.size();
  if (H5LTmake_dataset(id_, dataset.c_str(), 1, &n, H5T_NATIVE_UCHAR, bytes.data()) < 0)
    throw Error(where(dataset), "cannot write the byte dataset");
}

Location open_file(const std::string& path) {
  quiet();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path,
                std::filesystem::exists(path, ec) ? "is not a file" : "cannot open: no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "is not an HDF5 file");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw Error(path, "cannot open the HDF5 file");
  return Location(f, true, path, "");
}

namespace {

hid_t create_in_memory(const std::string& path) {
  quiet();
  // A name no other open file has: the core driver keeps it in memory only.
  static std::atomic<int> counter{0};
  const std::string name = path + ".in-memory-" + std::to_string(counter++);
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 20, /*backing_store=*/0);
  const hid_t f = H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (f < 0) throw Error(path, "cannot create an HDF5 file in memory");
  return f;
}

}  // namespace

NewFile::NewFile(const std::string& path) : Location(create_in_memory(path), true, path, "") {}

void NewFile::commit() {
  if (H5Fflush(id_, H5F_SCOPE_GLOBAL) < 0) throw Error(file_, "cannot flush the HDF5 file");
  const ssize_t size = H5Fget_file_image(id_, nullptr, 0);
  if (size < 0) throw Error(file_, "cannot get the HDF5 file's image");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(id_, bytes.data(), bytes.size()) != size)
    throw Error(file_, "cannot get the HDF5 file's image");
  write_file_atomic(file_, bytes);
}

}  // namespace cortado::h5
