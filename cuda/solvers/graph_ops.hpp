#pragma once
// Small device steps of the CUDA graph training iteration (train_graph.hpp): what
// eager mode does on the host, done on the device so that a graph can replay it.

namespace cortado::gpu {

// Layer::forward's loss for one loss top, on the device: sum over j of data[j] *
// diff[j] (diff holds the loss weight), in order, in float, added to *layer_loss
// (started at 0 when `first`); when `last`, the layer's sum is added to *total.
// One thread, so the order (and the rounding) is the host loop's.
void add_weighted_loss(int n, const float* data, const float* diff, float* layer_loss, bool first,
                       bool last, float* total);

}  // namespace cortado::gpu
