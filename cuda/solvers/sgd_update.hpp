#pragma once
// The SGD momentum step fused into one pass over a parameter (device pointers):
//   history = momentum * history + local_rate * diff;  diff = history;  data -= history
// as the CPU path computes it in two (SgdRule in libcore/solvers/update_rules.cpp,
// then Blob::update); diff is left holding the update value there too.
namespace cortado::gpu {

void sgd_update(int n, float* data, float* diff, float* history, float momentum,
                float local_rate);

}  // namespace cortado::gpu
