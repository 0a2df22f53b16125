// Chained kernel launches (cuda/util/chained.cuh): a kernel's blocks may start before
// the kernel it follows has ended, and wait for it inside. What a step computes must be
// what plain launches compute, bit for bit, eager or replayed from a CUDA graph (on a
// GPU, a kernel touching memory before its wait would race and differ; the emulator
// faults on it, see cuda_emu_test.cpp).
#include <vector>

#include "gpu_test_util.hpp"
#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/train_graph.hpp"
#include "cuda/util/chained.hpp"
#include "cuda/util/context.hpp"
#endif
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "test_nets.hpp"

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

struct Trained {
  std::vector<float> losses;
  std::vector<std::vector<float>> params;
  bool chained = false;  // the last launches were chained (the replayed graph's, if any)
};

// Six golden LeNet steps on the GPU, launches chained or not.
Trained train_lenet(bool chained, bool cuda_graph) {
  gpu::set_chained_launches(chained);
  Solver solver(golden_solver(lenet(), 1000));
  solver.set_cuda_graph(cuda_graph);
  solver.set_mode(Mode::gpu);
  Trained t;
  t.losses = train_losses(solver, 6);
  t.chained = gpu::chained_launches();
  if (cuda_graph) {
    REQUIRE(solver.train_graph() != nullptr);
    REQUIRE(solver.train_graph()->replaying());
    t.chained = solver.train_graph()->chained();
  }
  for (Blob* p : solver.net().learnable_params())
    t.params.emplace_back(p->data(), p->data() + p->count());
  return t;
}

}  // namespace
#endif

TEST_CASE("GPU: chained kernel launches compute what plain launches do, bit for bit",
          "[gpu][chained]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  struct Restore {
    ~Restore() {
      gpu::set_chained_launches(true);
      gpu::set_deterministic(false);
    }
  } restore;
  // On by default wherever the device can chain (compute capability 9.0 or more).
  CHECK(gpu::chained_launches() == gpu::Context::get().chains());
  gpu::set_chained_launches(false);
  CHECK_FALSE(gpu::chained_launches());
  gpu::set_deterministic(true);  // the same algorithms, hence the same sums, in both runs
  for (const bool graph : {false, true}) {
    INFO((graph ? "replayed from a CUDA graph" : "eager"));
    const Trained plain = train_lenet(false, graph);
    const Trained chained = train_lenet(true, graph);
    CHECK_FALSE(plain.chained);
    CHECK(chained.chained);  // (not fallen back to plain launches)
    CHECK(chained.losses == plain.losses);
    REQUIRE(chained.params.size() == plain.params.size());
    for (size_t p = 0; p < plain.params.size(); ++p) {
      INFO("learnable param " << p);
      CHECK(chained.params[p] == plain.params[p]);
    }
  }
#endif
}

}  // namespace cortado::test
