#pragma once
// NumPy's .npy format (version 1.0; 2.0 read too): what numpy.save writes and
// numpy.load reads, so mean images and features go to Python without a converter.
#include <cstddef>
#include <string>
#include <vector>

namespace cortado {

struct NpyArray {
  std::vector<size_t> shape;
  std::vector<float> data;  // C order; float64 files are converted on reading
};

// The bytes of a little-endian float32 ('<f4'), C-order array of `shape`.
std::string npy_bytes(const std::vector<size_t>& shape, const std::vector<float>& data);
// Written atomically (write_file_atomic).
void write_npy(const std::string& path, const std::vector<size_t>& shape,
               const std::vector<float>& data);
// Reads '<f4' or '<f8' C-order arrays; anything else is an Error naming `path`.
NpyArray read_npy(const std::string& path);
NpyArray parse_npy(const std::string& bytes, const std::string& where);

}  // namespace cortado
