#pragma once
// The positions of a net's prefetching data layers (Data, ImageData) in their
// sources, saved in our solverstate fields so that a resumed run reads exactly
// the batches the uninterrupted run would have read (Caffe restarts them from
// the beginning). The layers' own save_state()/restore_state() do the work.
#include <cstdint>

namespace caffe {
class SolverState;
}

namespace cortado {

class Net;

// Seeds each data layer's random generators (crop, mirror, shuffle) from the
// global RNG, in layer order, so a fixed random_seed fixes them too.
void seed_data_layers(Net& net);
// Appends one DataCursor per data layer of `net`, tagged with `net_id`
// (0 = train net, 1 + i = test net i).
void save_data_cursors(const Net& net, int net_id, caffe::SolverState* state);
// Moves `net`'s data layers to the saved positions. Returns how many data
// layers had no saved cursor (they restart from the beginning).
int restore_data_cursors(Net& net, int net_id, const caffe::SolverState& state);

}  // namespace cortado
