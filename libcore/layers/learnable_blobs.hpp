#pragma once
// The learnable blobs of a layer, made one way: created and filled when the layer has
// none yet, checked (count and shapes) when they were given before setup, e.g. copied
// from a model. Used by InnerProduct, Convolution/Deconvolution, Embed, LSTM and RNN.
#include <memory>
#include <string>
#include <vector>

#include "blob/blob.hpp"
#include "caffe.pb.h"

namespace cortado {

struct BlobSpec {
  const char* name;  // "weight", "bias"..., for errors
  std::vector<int> shape;
  const caffe::FillerParameter* filler;
};

// Errors name `where`, the blob and both shapes.
void make_or_check_blobs(std::vector<std::shared_ptr<Blob>>& blobs,
                         const std::vector<BlobSpec>& specs, const std::string& where);

}  // namespace cortado
