#include "layers/learnable_blobs.hpp"

#include "layers/filler.hpp"
#include "util/error.hpp"

namespace cortado {

void make_or_check_blobs(std::vector<std::shared_ptr<Blob>>& blobs,
                         const std::vector<BlobSpec>& specs, const std::string& where) {
  if (blobs.empty()) {
    for (const BlobSpec& s : specs) {
      blobs.push_back(std::make_shared<Blob>(s.shape));
      fill_blob(*s.filler, *blobs.back());
    }
    return;
  }
  if (blobs.size() != specs.size())
    throw Error(where, "expected " + std::to_string(specs.size()) + " parameter blobs, got " +
                           std::to_string(blobs.size()));
  for (size_t i = 0; i < specs.size(); ++i)
    if (blobs[i]->shape() != specs[i].shape)
      throw Error(where, std::string(specs[i].name) + " shape " + blobs[i]->shape_string() +
                             " does not match the expected " + shape_string(specs[i].shape));
}

}  // namespace cortado
