// time: Caffe's `caffe time` — times forward and backward of a net, per layer and
// in total, and logs the averages in Caffe's phrases ("Average Forward pass: X ms.").
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "net/net.hpp"
#include "net/state_rules.hpp"
#include "solvers/training_run.hpp"
#include "util/device.hpp"
#include "util/error.hpp"
#include "util/gpu_flags.hpp"
#include "util/log.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Benchmarks a net as Caffe's `caffe time` does: one warm-up forward and backward, then\n"
    "--iterations timed forward-backward passes, layer by layer. Logs the average forward\n"
    "and backward milliseconds of each layer and of the whole net. The phase is TRAIN by\n"
    "default (as Caffe's). Input layers' blobs are filled with noise (blobs of one axis,\n"
    "usually labels, with 0); Data layers read their LMDB.";

struct Flags {
  std::string model, weights, phase = "TRAIN", stage;
  int iterations = 50, level = 0;
  std::string gpu;
  cortado::GpuMathFlags gpu_math;
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Input layers leave their tops as they are; timing wants finite, plausible values.
void fill_inputs(cortado::Net& net) {
  std::mt19937 rng(1701);
  std::uniform_real_distribution<float> noise(-1.f, 1.f);
  for (cortado::Blob* b : net.input_blobs()) {
    float* d = b->mutable_data();
    const bool label_like = b->num_axes() <= 1;
    for (int i = 0; i < b->count(); ++i) d[i] = label_like ? 0.f : noise(rng);
  }
}

// Caffe right-aligns layer names to width 10 in the per-layer lines.
std::string padded(const std::string& name) {
  return name.size() >= 10 ? name : std::string(10 - name.size(), ' ') + name;
}

int run(const Flags& f) {
  if (f.iterations < 1) throw cortado::Error("--iterations", "must be at least 1");
  const auto device = cortado::choose_device(f.gpu, false, 0);
  cortado::activate_device(device);
  cortado::apply_gpu_math_flags(f.gpu_math, device);
  const cortado::Mode mode = device.gpu ? cortado::Mode::gpu : cortado::Mode::cpu;
  const caffe::Phase phase = cortado::parse_phase(f.phase, "--phase");
  auto net = cortado::Net::from_file(f.model, phase, f.level, cortado::split_commas(f.stage));
  net->set_mode(mode);
  if (!f.weights.empty()) cortado::copy_weights_from_list(*net, f.weights);
  fill_inputs(*net);

  LOG_INFO("Performing Forward");
  LOG_INFO("Initial loss: {:g}", net->forward());
  LOG_INFO("Performing Backward");
  net->backward();

  // GPU kernels run asynchronously: each timing waits for the device, as Caffe's GPU
  // timer does with its CUDA events, so that a layer's time is its kernels' time.
  const auto sync = [&device] { cortado::wait_for_device(device); };
  sync();
  const auto& layers = net->layers();
  const size_t n = layers.size();
  std::vector<double> fwd_ms(n, 0.0), bwd_ms(n, 0.0);
  double forward_total = 0.0, backward_total = 0.0;
  LOG_INFO("*** Benchmark begins ***");
  LOG_INFO("Testing for {} iterations.", f.iterations);
  const auto total_start = Clock::now();
  for (int it = 0; it < f.iterations; ++it) {
    const auto iter_start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      const auto t = Clock::now();
      layers[i]->forward(net->bottom_vecs()[i], net->top_vecs()[i]);
      sync();
      fwd_ms[i] += ms_since(t);
    }
    forward_total += ms_since(iter_start);
    const auto back_start = Clock::now();
    for (size_t i = n; i-- > 0;) {
      // Layers that need no backward (data, accuracy) would only be asked for nothing.
      if (!net->layer_need_backward()[i]) continue;
      const auto t = Clock::now();
      layers[i]->backward(net->top_vecs()[i], net->bottom_need_backward()[i],
                          net->bottom_vecs()[i]);
      sync();
      bwd_ms[i] += ms_since(t);
    }
    backward_total += ms_since(back_start);
    LOG_INFO("Iteration: {} forward-backward time: {:.0f} ms.", it + 1, ms_since(iter_start));
  }
  const double total = ms_since(total_start);
  const double iters = f.iterations;
  LOG_INFO("Average time per layer: ");
  for (size_t i = 0; i < n; ++i) {
    LOG_INFO("{}\tforward: {:g} ms.", padded(net->layer_names()[i]), fwd_ms[i] / iters);
    LOG_INFO("{}\tbackward: {:g} ms.", padded(net->layer_names()[i]), bwd_ms[i] / iters);
  }
  LOG_INFO("Average Forward pass: {:g} ms.", forward_total / iters);
  LOG_INFO("Average Backward pass: {:g} ms.", backward_total / iters);
  LOG_INFO("Average Forward-Backward: {:g} ms.", total / iters);
  LOG_INFO("Total Time: {:g} ms.", total);
  LOG_INFO("*** Benchmark ends ***");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  cortado::gflags_style_args(argc, argv);
  return cortado::run_tool(
      argc, argv, "time", kDescription,
      [&](CLI::App& app) {
        app.add_option("--model", f.model, "the net prototxt")->required();
        app.add_option("--weights", f.weights, "caffemodel(s) to load first, comma-separated");
        app.add_option("--iterations", f.iterations, "timed passes (default 50, as Caffe)");
        app.add_option("--phase", f.phase, "TRAIN or TEST (default TRAIN, as Caffe)");
        app.add_option("--level", f.level, "the net state's level (include/exclude rules)");
        app.add_option("--stage", f.stage, "the net state's stages, comma-separated");
        app.add_option("--gpu", f.gpu, "GPU device id (or all); an error when no GPU can be used");
        cortado::add_gpu_math_flags(app, f.gpu_math);
      },
      [&] { return run(f); });
}
