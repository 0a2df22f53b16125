// convert_mean: mean.binaryproto -> .npy (what the cookbook's convert_bp_to_array.py
// makes), a PNG picture, a text table, or the per-channel values for mean_value.
#include <cstdio>
#include <string>

#include "data/mean.hpp"
#include "data/mean_export.hpp"
#include "util/atomic_file.hpp"
#include "util/tool_main.hpp"

namespace {

struct Flags {
  std::string in, out, format;
  bool per_channel = false;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("IN", f.in, "mean.binaryproto")->required();
  app.add_option("OUT", f.out, "file to write (.npy, .png or .txt)");
  app.add_option("--format", f.format, "npy, png or txt (default: from OUT's extension)")
      ->check(CLI::IsMember({"npy", "png", "txt"}));
  app.add_flag("--per-channel", f.per_channel,
               "print one 'mean_value: V' line per channel (for a transform_param)");
  app.callback([&f] {
    if (f.out.empty() && !f.per_channel)
      throw CLI::ValidationError("OUT", "give an output file, or --per-channel");
  });
}

int run(const Flags& f) {
  if (!f.out.empty()) cortado::check_output_spares(f.out, {f.in});
  const cortado::MeanImage mean = cortado::read_mean_binaryproto(f.in);
  if (f.per_channel)
    for (float v : cortado::channel_means(mean))
      std::printf("mean_value: %s\n", cortado::format_float6(v).c_str());
  if (!f.out.empty()) {
    const cortado::MeanFileFormat fmt = f.format.empty()
                                            ? cortado::mean_format_from_extension(f.out)
                                            : cortado::parse_mean_format(f.format);
    cortado::write_mean(mean, f.out, fmt);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "convert_mean",
      "Converts a mean.binaryproto into a NumPy .npy file (float32, shape C x H x W), a PNG\n"
      "picture of the mean image or a text table; --per-channel prints the values a\n"
      "transform_param's mean_value wants.",
      [&](CLI::App& app) { configure(app, f); }, [&] { return run(f); });
}
