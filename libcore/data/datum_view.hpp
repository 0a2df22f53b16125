#pragma once
// A Datum read in place from its serialized bytes (protobuf wire format), without
// copying the pixel data: the fast path for tools that scan a whole database
// (compute_image_mean reads 60k datums in a fraction of a second). `data` points
// into the bytes it was parsed from (an LMDB memory map) and lives as long as they do.
#include <cstdint>
#include <string_view>
#include <vector>

namespace cortado {

struct DatumView {
  int32_t channels = 0, height = 0, width = 0, label = 0;
  bool encoded = false;
  std::string_view data;
  std::vector<float> float_data;  // rare; copied (it may be packed or not)
};

// False when `bytes` is not a well-formed Datum (truncated, bad wire types, unknown
// required structure). Unknown fields are skipped, as protobuf does.
bool parse_datum_view(std::string_view bytes, DatumView& out);

}  // namespace cortado
