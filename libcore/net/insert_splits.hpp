#pragma once
// Caffe's InsertSplits: where one top feeds several bottoms (or one bottom and a
// loss), a Split layer is inserted after the producer so that each consumer gets
// its own copy and the gradients add up in backward. Names follow Caffe:
// layer "<blob>_<layer>_<top index>_split", tops "<that>_<k>". A loss weight on
// the split top moves to the split layer's first top.
#include <string>

namespace caffe {
class NetParameter;
}

namespace cortado {

// A bottom that no earlier layer produces is an Error naming the layer.
void insert_splits(const caffe::NetParameter& in, caffe::NetParameter* out);

std::string split_layer_name(const std::string& layer_name, const std::string& blob_name,
                             int blob_index);
std::string split_blob_name(const std::string& layer_name, const std::string& blob_name,
                            int blob_index, int split_index);

}  // namespace cortado
