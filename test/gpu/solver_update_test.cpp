// The solver's update on the GPU (UpdateRule::set_gpu: the fused kernels of
// cuda/solvers/) against the same rule on the CPU, over several steps so that
// the histories are exercised: every type, with L2 and L1 weight decay, gradient
// clipping (on and off), iter_size, and per-parameter lr_mult / decay_mult,
// including a frozen parameter (lr_mult 0) and an empty one.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <memory>
#include <string>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "cuda/solvers/gradient_ops.hpp"
#include "solvers/update_rule.hpp"
#include "support/gradient_checker.hpp"
#include "util/proto_io.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

struct ParamSpec {
  std::vector<int> shape;
  float lr_mult, decay_mult;
};

// A weight, a bias without decay, a frozen weight, an empty blob.
const std::vector<ParamSpec> kParams = {
    {{5, 401}, 1.5f, 1.f}, {{7}, 2.f, 0.f}, {{3, 3}, 0.f, 1.f}, {{0}, 1.f, 1.f}};

using Blobs = std::vector<std::unique_ptr<Blob>>;

// More parameters than one launch's table holds (cuda/solvers/slot_table.cuh), of
// sizes that end mid-block, fill a slot's whole run of blocks (> 1024 * 256), or are
// empty, with a frozen one among them.
std::vector<ParamSpec> many_params() {
  const int sizes[] = {1, 257, 3, 300000, 0, 1000, 31};
  std::vector<ParamSpec> out;
  for (int i = 0; i < 100; ++i)
    out.push_back({{sizes[i % 7]}, i == 50 ? 0.f : 0.5f + 0.25f * (i % 4), (i % 3) * 0.5f});
  return out;
}

std::vector<UpdateRule::Param> rule_params(const Blobs& blobs,
                                           const std::vector<ParamSpec>& specs) {
  std::vector<UpdateRule::Param> out;
  for (size_t i = 0; i < blobs.size(); ++i)
    out.push_back({blobs[i].get(), specs[i].lr_mult, specs[i].decay_mult});
  return out;
}

void copy_data(const Blob& from, Blob& to) {
  std::copy(from.data(), from.data() + from.count(), to.mutable_data());
}

// `fields` is SolverParameter text; runs `steps` updates on both backends and
// compares data, diff (the update value) and every history blob after each.
void check_update_parity(const std::string& fields, int steps = 4,
                         const std::vector<ParamSpec>& specs = kParams) {
  INFO("solver: " << fields << " (" << specs.size() << " parameters)");
  caffe::SolverParameter solver;
  parse_text_proto(fields, "solver", solver);
  Blobs cpu, gpu;
  for (size_t i = 0; i < specs.size(); ++i) {
    cpu.push_back(std::make_unique<Blob>(specs[i].shape));
    gpu.push_back(std::make_unique<Blob>(specs[i].shape));
    fill_gaussian(*cpu[i], 0.f, 1.f, 11 + static_cast<unsigned>(i));
    copy_data(*cpu[i], *gpu[i]);
  }
  auto cpu_rule = make_update_rule(solver, rule_params(cpu, specs));
  auto gpu_rule = make_update_rule(solver, rule_params(gpu, specs));
  gpu_rule->set_gpu(true);
  for (int iter = 0; iter < steps; ++iter) {
    INFO("update " << iter);
    for (size_t i = 0; i < specs.size(); ++i) {
      Blob grad(specs[i].shape);
      fill_gaussian(grad, 0.f, 1.f,
                    100 + 10 * static_cast<unsigned>(iter) + static_cast<unsigned>(i));
      std::copy(grad.data(), grad.data() + grad.count(), cpu[i]->mutable_diff());
      std::copy(grad.data(), grad.data() + grad.count(), gpu[i]->mutable_diff());
    }
    const float rate = 0.01f * static_cast<float>(iter + 1);
    cpu_rule->apply(rate, iter);
    gpu_rule->apply(rate, iter);
    for (size_t i = 0; i < specs.size(); ++i) {
      INFO("param " << i << " (" << cpu[i]->shape_string() << ")");
      require_close(gpu[i]->data(), cpu[i]->data(), cpu[i]->count(), 1e-5f);
      require_close(gpu[i]->diff(), cpu[i]->diff(), cpu[i]->count(), 1e-5f);
    }
    const auto& hc = cpu_rule->history();
    const auto& hg = gpu_rule->history();
    REQUIRE(hc.size() == hg.size());
    for (size_t h = 0; h < hc.size(); ++h) {
      INFO("history " << h);
      require_close(hg[h]->data(), hc[h]->data(), hc[h]->count(), 1e-5f);
    }
  }
}

// Each variant of the shared settings, appended to a type's own fields.
void check_all_variants(const std::string& type_fields) {
  const char* variants[] = {
      "weight_decay: 0.005",                              // L2 (the default)
      "weight_decay: 0.005 regularization_type: \"L1\"",  // L1
      "weight_decay: 0.005 clip_gradients: 10",           // clipping that scales
      "weight_decay: 0.005 regularization_type: \"L1\" clip_gradients: 10",
      "clip_gradients: 1000",              // clipping that does not
      "weight_decay: 0.005 iter_size: 2",  // diffs divided by 2
      "",                                  // plain
  };
  for (const char* v : variants) check_update_parity(type_fields + " " + v);
}

}  // namespace
#endif

TEST_CASE("SGD update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"SGD\" momentum: 0.9");
#endif
}

TEST_CASE("Nesterov update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"Nesterov\" momentum: 0.9");
#endif
}

TEST_CASE("AdaGrad update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"AdaGrad\" momentum: 0 delta: 1e-6");
#endif
}

TEST_CASE("RMSProp update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"RMSProp\" momentum: 0 rms_decay: 0.98 delta: 1e-6");
#endif
}

TEST_CASE("AdaDelta update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"AdaDelta\" momentum: 0.95 delta: 1e-6");
#endif
}

TEST_CASE("Adam update on the GPU matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_all_variants("type: \"Adam\" momentum: 0.9 momentum2: 0.999 delta: 1e-8");
#endif
}

TEST_CASE("GPU update of 100 parameters in few launches matches the CPU", "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  check_update_parity("type: \"SGD\" momentum: 0.9 weight_decay: 0.005", 2, many_params());
  check_update_parity("type: \"AdaDelta\" momentum: 0.95 delta: 1e-6 clip_gradients: 10", 2,
                      many_params());
  check_update_parity("type: \"Adam\" momentum: 0.9 momentum2: 0.999 delta: 1e-8", 2,
                      many_params());
#endif
}

TEST_CASE("GPU sums of squares match the CPU's, also for empty and large arrays",
          "[gpu][solver_update]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  // 300000 elements need more blocks than the first pass's cap (grid-stride loop).
  std::vector<std::unique_ptr<Blob>> blobs;
  std::vector<std::pair<const float*, int>> arrays;
  for (int n : {0, 1, 1000, 300000}) {
    blobs.push_back(std::make_unique<Blob>(std::vector<int>{n}));
    Blob& b = *blobs.back();
    fill_gaussian(b, 0.5f, 2.f, 7 + static_cast<unsigned>(n));
    std::copy(b.data(), b.data() + n, b.mutable_diff());
  }
  for (auto& b : blobs) arrays.emplace_back(b->gpu_diff(), b->count());
  const std::vector<double> sums = gpu::sums_of_squares(arrays);
  REQUIRE(sums.size() == blobs.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    INFO("array of " << blobs[i]->count());
    CHECK(static_cast<float>(sums[i]) == Approx(blobs[i]->sumsq_diff()).epsilon(1e-6));
  }
  // The same inputs give the same bits (fixed summation order).
  CHECK(gpu::sums_of_squares(arrays) == sums);
  CHECK(gpu::sums_of_squares({}).empty());

  Blob x({1000});
  fill_gaussian(x, 0.f, 1.f, 3);
  std::vector<float> want(x.data(), x.data() + x.count());
  gpu::scale(x.count(), x.mutable_gpu_data(), 0.25f);
  for (float& v : want) v *= 0.25f;
  require_close(x.data(), want.data(), x.count(), 0.f);
  gpu::set_zero(x.count(), x.mutable_gpu_data());
  CHECK(x.asum_data() == 0.f);

  // Many arrays in one call (more than one launch's table), the empty one skipped.
  std::vector<gpu::DeviceArray> many;
  for (int i = 0; i < 300; ++i) {
    Blob& b = *blobs[i % blobs.size()];
    fill_gaussian(b, 1.f, 1.f, 40 + static_cast<unsigned>(i));
    many.push_back({b.mutable_gpu_data(), b.count()});
  }
  gpu::set_zero(many);
  for (auto& b : blobs) CHECK(b->asum_data() == 0.f);
#endif
}

}  // namespace cortado::test
