// Nets of Caffe's less common layers on the GPU (Swish, MVN, Clip, Tile, Reduction,
// Threshold, SPP, Parameter, Embed, Im2col, BatchReindex, Filter, LSTM, the Hinge,
// MultinomialLogistic, Infogain and Contrastive losses): every layer runs its own
// device code, and the net gives the CPU net's loss and gradients.
#include "gpu_test_util.hpp"
#include "net/net.hpp"
#include "support/more_layers_inputs.hpp"
#include "support/tool_runner.hpp"
#include "util/rng.hpp"

namespace cortado::test {
namespace {

std::unique_ptr<Net> load(const std::string& name) {
  seed_global_rng(11);
  return Net::from_file(testdata("nets/" + name), caffe::TRAIN);
}

void check_gpu_net_matches_cpu(const std::string& name) {
  auto cpu = load(name);
  auto gpu = load(name);
  gpu->set_mode(Mode::gpu);
  for (const auto& layer : gpu->layers()) {
    INFO("layer " << layer->name() << " (" << layer->type() << ")");
    CHECK((layer->has_gpu_kernels() || std::string(layer->type()) == "Input"));
  }
  fill_more_layers_inputs(*cpu);
  fill_more_layers_inputs(*gpu);
  cpu->clear_param_diffs();
  gpu->clear_param_diffs();
  const float cpu_loss = cpu->forward_backward();
  const float gpu_loss = gpu->forward_backward();
  CHECK(gpu_loss == Approx(cpu_loss).epsilon(1e-4));
  for (const std::string& blob : cpu->blob_names()) {
    INFO("blob " << blob);
    const Blob& want = *cpu->blob_by_name(blob);
    const Blob& got = *gpu->blob_by_name(blob);
    require_close(got.data(), want.data(), want.count(), 1e-4f);
  }
  const auto& want = cpu->learnable_params();
  const auto& got = gpu->learnable_params();
  REQUIRE(want.size() == got.size());
  for (size_t k = 0; k < want.size(); ++k) {
    INFO("learnable blob " << k);
    require_close(got[k]->diff(), want[k]->diff(), want[k]->count(), 1e-4f);
  }
}

}  // namespace

TEST_CASE("GPU: a siamese net with ContrastiveLoss gives the CPU net's loss and gradients",
          "[gpu][net][siamese]") {
  SKIP_WITHOUT_GPU();
  check_gpu_net_matches_cpu("siamese_contrastive.prototxt");
}

TEST_CASE("GPU: a net of less common layers gives the CPU net's loss and gradients",
          "[gpu][net][more_layers]") {
  SKIP_WITHOUT_GPU();
  check_gpu_net_matches_cpu("more_layers.prototxt");
}

}  // namespace cortado::test
