// classify: runs a deploy net on image files and prints the top-k classes of each,
// with the preprocessing of Caffe's classify.py expressed as flags.
#include <cstdio>
#include <string>
#include <vector>

#include "net/classifier.hpp"
#include "net/net.hpp"
#include "solvers/training_run.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/device.hpp"
#include "util/gpu_flags.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Classifies images with a deploy net (an Input layer in, class scores out), as Caffe's\n"
    "classify.py. Each image is read as RGB in [0,1] (gray for 1-channel nets or --gray),\n"
    "resized to the input's H x W, then x = (image * raw_scale)[channel_swap] - mean, times\n"
    "--scale. Defaults follow classify.py: --raw-scale 255, --channel-swap 2,1,0 for color.\n"
    "Prints, per image, the top-k classes and scores of the net's first output (stdout);\n"
    "--json prints one JSON object per image instead.";

struct Flags {
  std::string model, weights, mean_file, mean_value, channel_swap, labels;
  std::vector<std::string> images;
  float scale = 1.f, raw_scale = 255.f;
  bool gray = false, json = false;
  int top_k = 5;
  std::string gpu;
  cortado::GpuMathFlags gpu_math;
};

std::vector<float> parse_floats(const std::string& list, const char* flag) {
  std::vector<float> out;
  for (const std::string& item : cortado::split_commas(list)) {
    try {
      size_t used = 0;
      out.push_back(std::stof(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw cortado::Error(flag, "expected comma-separated numbers, got '" + list + "'");
    }
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string label_of(const std::vector<std::string>& labels, int index) {
  return index < static_cast<int>(labels.size()) ? labels[index] : std::to_string(index);
}

void print_text(const std::string& image, const std::vector<cortado::Prediction>& top,
                const std::vector<std::string>& labels) {
  std::printf("---------- Prediction for %s ----------\n", image.c_str());
  for (const auto& p : top)
    std::printf("%.4f - \"%s\"\n", p.prob, label_of(labels, p.index).c_str());
}

void print_json(const std::string& image, const std::vector<cortado::Prediction>& top,
                const std::vector<std::string>& labels) {
  std::string s = "{\"image\": " + json_string(image) + ", \"top_k\": [";
  for (size_t i = 0; i < top.size(); ++i) {
    char prob[32];
    std::snprintf(prob, sizeof prob, "%.9g", top[i].prob);
    s += (i ? ", " : "") + std::string("{\"index\": ") + std::to_string(top[i].index) +
         ", \"label\": " + json_string(label_of(labels, top[i].index)) + ", \"prob\": " + prob +
         "}";
  }
  std::printf("%s]}\n", s.c_str());
}

int run(const Flags& f) {
  const auto device = cortado::choose_device(f.gpu, false, 0);
  cortado::activate_device(device);
  cortado::apply_gpu_math_flags(f.gpu_math, device);
  if (f.top_k < 1) throw cortado::Error("--top-k", "must be at least 1");
  auto net = cortado::Net::from_file(f.model, caffe::TEST);
  if (device.gpu) net->set_mode(cortado::Mode::gpu);
  cortado::copy_weights_from_list(*net, f.weights);
  cortado::ImagePrep prep;
  prep.gray = f.gray;
  prep.raw_scale = f.raw_scale;
  prep.input_scale = f.scale;
  prep.mean_file = f.mean_file;
  prep.mean_values = parse_floats(f.mean_value, "--mean-value");
  for (float v : parse_floats(f.channel_swap, "--channel-swap")) {
    if (v != static_cast<int>(v)) throw cortado::Error("--channel-swap", "expects integers");
    prep.channel_swap.push_back(static_cast<int>(v));
  }
  const bool color_net = net->input_blobs().empty() || net->input_blobs()[0]->num_axes() != 4 ||
                         net->input_blobs()[0]->shape(1) == 3;
  if (f.channel_swap.empty() && color_net && !f.gray) prep.channel_swap = {2, 1, 0};
  cortado::Classifier classifier(*net, prep);
  const std::vector<std::string> labels =
      f.labels.empty() ? std::vector<std::string>{}
                       : cortado::read_labels(f.labels, classifier.classes());
  for (const std::string& image : f.images) {
    const auto top = cortado::top_k(classifier.scores(image), f.top_k);
    if (f.json)
      print_json(image, top, labels);
    else
      print_text(image, top, labels);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  cortado::gflags_style_args(argc, argv);
  return cortado::run_tool(
      argc, argv, "classify", kDescription,
      [&](CLI::App& app) {
        app.add_option("--model", f.model, "the deploy net prototxt")->required();
        app.add_option("--weights", f.weights, "trained caffemodel(s), comma-separated")
            ->required();
        auto* mf = app.add_option("--mean", f.mean_file, "mean.binaryproto to subtract");
        auto* mv = app.add_option("--mean-value,--mean_value", f.mean_value,
                                  "per-channel means to subtract, e.g. 104,117,123");
        mf->excludes(mv);
        app.add_option("--scale,--input-scale", f.scale, "multiply after the mean (default 1)");
        app.add_option("--raw-scale,--raw_scale", f.raw_scale,
                       "multiply the [0,1] image first (default 255)");
        app.add_option("--channel-swap,--channel_swap", f.channel_swap,
                       "channel order for the net (default 2,1,0: RGB to BGR for color nets)");
        app.add_flag("--gray", f.gray, "read the images as one gray channel");
        app.add_option("--labels", f.labels, "text file: the label of class i on line i+1");
        app.add_option("--top-k,--top_k", f.top_k, "classes to print per image (default 5)");
        app.add_flag("--json", f.json, "one JSON object per image on stdout");
        app.add_option("--gpu", f.gpu, "GPU device id (or all); an error when no GPU can be used");
        cortado::add_gpu_math_flags(app, f.gpu_math);
        app.add_option("IMAGE", f.images, "image files")->required();
      },
      [&] { return run(f); });
}
