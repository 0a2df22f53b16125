#pragma once
// A small RAII wrapper over the HDF5 C and HL API, for Caffe's files: a file opened
// for reading, or built in memory and then written atomically; groups; float N-d
// datasets, int scalars (Caffe's one-element int datasets), strings and bytes. Every
// failure is an Error naming the file and the path inside it. Only compiled with
// HDF5 (CORTADO_WITH_HDF5); users outside libcore/hdf5 go through hdf5_io.hpp.
#include <hdf5.h>

#include <string>
#include <vector>

namespace cortado::h5 {

// A file or a group: the place links live in.
class Location {
 public:
  Location(hid_t id, bool is_file, std::string file, std::string path);
  ~Location();
  Location(Location&& other) noexcept;
  Location& operator=(Location&&) = delete;
  Location(const Location&) = delete;
  Location& operator=(const Location&) = delete;

  hid_t id() const { return id_; }
  // "file.h5:/data/conv1", for messages.
  std::string where(const std::string& name = "") const;

  // Whether `name` (which may hold '/') names a link, every component existing.
  bool has(const std::string& name) const;
  bool is_group(const std::string& name) const;
  // The names of the links directly in this location, in name order.
  std::vector<std::string> links() const;

  Location group(const std::string& name) const;
  // Creates a group; a name with '/' creates the groups above it as needed.
  Location create_group(const std::string& name) const;

  std::vector<int> shape(const std::string& dataset) const;
  // Reads a float or integer dataset of `count` elements as floats.
  void read_floats(const std::string& dataset, float* out, size_t count) const;
  void write_floats(const std::string& dataset, const std::vector<int>& shape,
                    const float* data) const;
  int read_int(const std::string& dataset) const;
  void write_int(const std::string& dataset, int value) const;
  std::string read_string(const std::string& dataset) const;
  void write_string(const std::string& dataset, const std::string& value) const;
  // Arbitrary bytes, as a 1-D uint8 dataset.
  std::string read_bytes(const std::string& dataset) const;
  void write_bytes(const std::string& dataset, const std::string& bytes) const;

 protected:
  hid_t id_;
  bool is_file_;
  std::string file_, path_;
};

// An existing file, read only. A missing or non-HDF5 file is an Error naming it.
Location open_file(const std::string& path);

// A new file built in memory, written to `path` by commit() atomically (nothing
// half-written on disk if anything fails before).
class NewFile : public Location {
 public:
  explicit NewFile(const std::string& path);
  void commit();
};

}  // namespace cortado::h5
