#include "data/datum_view.hpp"

#include <cstring>

namespace cortado {
namespace {

// Wire-format reader over a byte range; every read checks the bounds.
struct Wire {
  const uint8_t* p;
  const uint8_t* end;

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) return false;
      const uint8_t b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(std::string_view& s) {
    uint64_t n;
    if (!varint(n) || n > static_cast<uint64_t>(end - p)) return false;
    s = std::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }
  bool fixed32(float& f) {
    if (end - p < 4) return false;
    std::memcpy(&f, p, 4);
    p += 4;
    return true;
  }
  bool skip(int wire_type) {
    uint64_t v;
    std::string_view s;
    switch (wire_type) {
      case 0: return varint(v);
      case 1: if (end - p < 8) return false; p += 8; return true;
      case 2: return bytes(s);
      case 5: if (end - p < 4) return false; p += 4; return true;
      default: return false;  // groups (3, 4) never occur in a Datum
    }
  }
};

bool read_packed_floats(std::string_view s, std::vector<float>& out) {
  if (s.size() % 4 != 0) return false;
  const size_t n = s.size() / 4, old = out.size();
  out.resize(old + n);
  std::memcpy(out.data() + old, s.data(), s.size());
  return true;
}

}  // namespace

bool parse_datum_view(std::string_view bytes, DatumView& out) {
  out = DatumView{};
  Wire w{reinterpret_cast<const uint8_t*>(bytes.data()),
         reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size()};
  while (w.p != w.end) {
    uint64_t tag, v;
    if (!w.varint(tag)) return false;
    const int field = static_cast<int>(tag >> 3), type = static_cast<int>(tag & 7);
    if (field == 0) return false;
    if (field >= 1 && field <= 7 && field != 4 && field != 6) {
      if (type != 0 || !w.varint(v)) return false;
      const auto i = static_cast<int32_t>(v);
      switch (field) {
        case 1: out.channels = i; break;
        case 2: out.height = i; break;
        case 3: out.width = i; break;
        case 5: out.label = i; break;
        case 7: out.encoded = v != 0; break;
      }
    } else if (field == 4) {
      if (type != 2 || !w.bytes(out.data)) return false;
    } else if (field == 6) {
      float f;
      std::string_view s;
      if (type == 5) {
        if (!w.fixed32(f)) return false;
        out.float_data.push_back(f);
      } else if (type == 2) {
        if (!w.bytes(s) || !read_packed_floats(s, out.float_data)) return false;
      } else {
        return false;
      }
    } else if (!w.skip(type)) {
      return false;
    }
  }
  return true;
}

}  // namespace cortado
