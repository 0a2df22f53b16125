// test: Caffe's `caffe test` — scores a trained model: runs N batches forward and
// logs every output per batch, then each output averaged over the batches, in
// Caffe's phrases ("Batch 3, accuracy = 0.86", "loss = 0.39 (* 1 = 0.39 loss)").
#include <string>
#include <vector>

#include "net/net.hpp"
#include "net/state_rules.hpp"
#include "solvers/training_run.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/device.hpp"
#include "util/gpu_flags.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Scores a trained model as Caffe's `caffe test` does: builds the net in the TEST phase\n"
    "(or --phase), copies the weights, runs --iterations batches forward and logs each\n"
    "output per batch and averaged: 'accuracy = 0.8599', 'loss = 0.389776 (* 1 = 0.389776\n"
    "loss)'. The log goes to stderr in glog format; flags may be written Caffe's way.";

struct Flags {
  std::string model, weights, phase = "TEST", stage;
  int iterations = 50, level = 0;
  std::string gpu;
  cortado::GpuMathFlags gpu_math;
};

// Caffe's test tool runs on the CPU without a GPU backend, saying so.
// One entry per element of every output blob, in output order, as Caffe counts them.
struct Score {
  int output;  // index into output_blobs()
  float sum = 0.f;
};

int run(const Flags& f) {
  if (f.iterations < 1) throw cortado::Error("--iterations", "must be at least 1");
  const auto device = cortado::choose_device(f.gpu, false, 0);
  cortado::activate_device(device);
  cortado::apply_gpu_math_flags(f.gpu_math, device);
  const cortado::Mode mode = device.gpu ? cortado::Mode::gpu : cortado::Mode::cpu;
  const caffe::Phase phase = cortado::parse_phase(f.phase, "--phase");
  auto net = cortado::Net::from_file(f.model, phase, f.level, cortado::split_commas(f.stage));
  net->set_mode(mode);
  cortado::copy_weights_from_list(*net, f.weights);
  LOG_INFO("Running for {} iterations.", f.iterations);
  const auto& outputs = net->output_blobs();
  const auto& out_ids = net->output_blob_indices();
  std::vector<Score> scores;
  float loss = 0.f;
  for (int i = 0; i < f.iterations; ++i) {
    loss += net->forward();
    size_t idx = 0;
    for (size_t j = 0; j < outputs.size(); ++j) {
      const float* v = outputs[j]->data();
      const std::string& name = net->blob_names()[out_ids[j]];
      for (int k = 0; k < outputs[j]->count(); ++k, ++idx) {
        if (i == 0) scores.push_back({static_cast<int>(j)});
        scores[idx].sum += v[k];
        LOG_INFO("Batch {}, {} = {:g}", i, name, v[k]);
      }
    }
  }
  LOG_INFO("Loss: {:g}", loss / f.iterations);
  for (const Score& s : scores) {
    const int blob_id = out_ids[s.output];
    const float mean = s.sum / f.iterations;
    const float weight = net->blob_loss_weights()[blob_id];
    if (weight != 0.f)
      LOG_INFO("{} = {:g} (* {:g} = {:g} loss)", net->blob_names()[blob_id], mean, weight,
               weight * mean);
    else
      LOG_INFO("{} = {:g}", net->blob_names()[blob_id], mean);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  cortado::gflags_style_args(argc, argv);
  return cortado::run_tool(
      argc, argv, "test", kDescription,
      [&](CLI::App& app) {
        app.add_option("--model", f.model, "the net prototxt")->required();
        app.add_option("--weights", f.weights, "trained caffemodel(s), comma-separated")
            ->required();
        app.add_option("--iterations", f.iterations, "batches to run (default 50, as Caffe)");
        app.add_option("--phase", f.phase, "TRAIN or TEST (default TEST)");
        app.add_option("--level", f.level, "the net state's level (include/exclude rules)");
        app.add_option("--stage", f.stage, "the net state's stages, comma-separated");
        app.add_option("--gpu", f.gpu, "GPU device id (or all); an error when no GPU can be used");
        cortado::add_gpu_math_flags(app, f.gpu_math);
      },
      [&] { return run(f); });
}
