// The fused SGD kernel against the CPU solver's SGD rule over a few steps, so
// that the momentum history is exercised too.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "cuda/solvers/update_kernels.hpp"
#include "solvers/update_rule.hpp"
#include "support/gradient_checker.hpp"
#endif

namespace cortado::test {

TEST_CASE("SGD update kernel matches the CPU SGD rule", "[gpu][sgd]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  caffe::SolverParameter solver;
  solver.set_type("SGD");
  solver.set_momentum(0.9f);
  const float lr_mult = 2.f, rate = 0.01f;
  Blob w({5, 401}), gw({5, 401}), history({5, 401});
  fill_gaussian(w, 0.f, 1.f, 11);
  std::copy(w.data(), w.data() + w.count(), gw.mutable_data());
  auto rule = make_update_rule(solver, {{&w, lr_mult, 1.f}});
  const int n = w.count();
  for (int iter = 0; iter < 3; ++iter) {
    INFO("iteration " << iter);
    Blob grad({5, 401});
    fill_gaussian(grad, 0.f, 1.f, 100 + iter);
    std::copy(grad.data(), grad.data() + n, w.mutable_diff());
    std::copy(grad.data(), grad.data() + n, gw.mutable_diff());
    rule->apply(rate, iter);
    gpu::UpdateSlot slot;
    slot.data = gw.mutable_gpu_data();
    slot.diff = gw.mutable_gpu_diff();
    slot.history = history.mutable_gpu_data();
    slot.count = n;
    slot.rate = rate * lr_mult;
    gpu::update_params({slot}, {gpu::UpdateRuleArgs::Type::sgd, solver.momentum()});
    require_close(gw.data(), w.data(), n, 1e-6f);
    require_close(history.data(), rule->history()[0]->data(), n, 1e-6f);
    require_close(gw.diff(), w.diff(), n, 1e-6f);
  }
#endif
}

}  // namespace cortado::test
