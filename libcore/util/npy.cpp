#include "util/npy.hpp"

#include <cstdint>
#include <cstring>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

std::string shape_tuple(const std::vector<size_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The value text after 'key': in the header dictionary, up to the next ',' at depth 0.
std::string dict_value(const std::string& header, const std::string& key) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t p = header.find(':', k);
  if (p == std::string::npos) return "";
  ++p;
  int depth = 0;
  size_t q = p;
  for (; q < header.size(); ++q) {
    const char c = header[q];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' && depth == 0) || c == '}') break;
  }
  std::string v = header.substr(p, q - p);
  v.erase(0, v.find_first_not_of(" "));
  v.erase(v.find_last_not_of(" ") + 1);
  return v;
}

std::vector<size_t> parse_shape(const std::string& tuple, const std::string& where) {
  if (tuple.size() < 2 || tuple.front() != '(' || tuple.back() != ')')
    throw Error(where, "bad shape '" + tuple + "' in the .npy header");
  std::vector<size_t> shape;
  std::string num;
  for (size_t i = 1; i < tuple.size(); ++i) {
    const char c = tuple[i];
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (c == ',' || c == ')') {
      if (!num.empty()) shape.push_back(std::stoull(num));
      num.clear();
    } else if (c != ' ' && c != 'L') {
      throw Error(where, "bad shape '" + tuple + "' in the .npy header");
    }
  }
  return shape;
}

}  // namespace

std::string npy_bytes(const std::vector<size_t>& shape, const std::vector<float>& data) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(shape) +
                       ", }";
  // numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
  const size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  const auto len = static_cast<uint16_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

void write_npy(const std::string& path, const std::vector<size_t>& shape,
               const std::vector<float>& data) {
  write_file_atomic(path, npy_bytes(shape, data));
}

NpyArray parse_npy(const std::string& bytes, const std::string& where) {
  if (bytes.size() < 10 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    throw Error(where, "not a .npy file (no \\x93NUMPY magic)");
  const auto major = static_cast<uint8_t>(bytes[6]);
  size_t len = 0, start = 0;
  auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(bytes[i])); };
  if (major == 1) {
    len = byte(8) | byte(9) << 8;
    start = 10;
  } else if (major == 2 && bytes.size() >= 12) {
    len = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    start = 12;
  } else {
    throw Error(where, "unsupported .npy version " + std::to_string(major));
  }
  if (start + len > bytes.size()) throw Error(where, "truncated .npy header");
  const std::string header = bytes.substr(start, len);
  const std::string descr = dict_value(header, "descr");
  if (dict_value(header, "fortran_order") != "False")
    throw Error(where, "Fortran-order arrays are not supported (expected C order)");
  NpyArray arr;
  arr.shape = parse_shape(dict_value(header, "shape"), where);
  size_t n = 1;
  for (size_t d : arr.shape) n *= d;
  const size_t elem = descr == "'<f4'" ? 4 : descr == "'<f8'" ? 8 : 0;
  if (elem == 0) throw Error(where, "dtype " + descr + " is not supported (expected '<f4' or '<f8')");
  const size_t data_at = start + len;
  if (bytes.size() - data_at != n * elem)
    throw Error(where, "holds " + std::to_string(bytes.size() - data_at) + " data bytes, expected " +
                           std::to_string(n * elem) + " for shape " + shape_tuple(arr.shape));
  arr.data.resize(n);
  if (elem == 4) {
    std::memcpy(arr.data.data(), bytes.data() + data_at, n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, bytes.data() + data_at + i * 8, 8);
      arr.data[i] = static_cast<float>(v);
    }
  }
  return arr;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

}  // namespace cortado
