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

// Whether the replayed update must be held back, as eager mode never gets to it when
// the loss is not finite or a layer raised an error (a bad label): *hold = 1 then.
// Sticky: once set it stays 1, so that iterations queued behind a failed one do not
// update either (eager mode would have stopped); the host clears it when it collects
// the failure. `errors` holds `layers` pairs (code, value); a non-zero code is an
// error. The update kernels read *hold (DiffPrep::hold in update_kernels.hpp).
void set_update_hold(const float* loss, const int* errors, int layers, int* hold);

}  // namespace cortado::gpu
