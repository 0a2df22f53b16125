// create_lmdb: images -> LMDB of Datums (Caffe's convert_imageset, plus the
// cookbook's folder-of-named-images way and a train/validation split).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "data/image_db_builder.hpp"
#include "data/image_set.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Converts images into an LMDB of Caffe Datums.\n"
    "\n"
    "Labels come from one of:\n"
    "  --list FILE     Caffe's convert_imageset list: '<relative/path> <label>' per line;\n"
    "                  SOURCE is the folder the paths are relative to.\n"
    "  --classes A,B   SOURCE is a folder of images (searched recursively); class A is\n"
    "                  label 0, B label 1, ... A file belongs to a class when the class\n"
    "                  name's words appear as whole consecutive words of the file name,\n"
    "                  words being split at every character that is not a letter or digit,\n"
    "                  case ignored: 'sneaker.123.png' is class 'sneaker', 'ankle_boot.7.png'\n"
    "                  is 'ankle_boot', and 'tshirt.19.png' is 'tshirt' but never 'shirt'.\n"
    "                  A file matching no class or several is an error (or skipped with\n"
    "                  --skip-unlabeled).\n"
    "\n"
    "Keys are Caffe's '%08d_<path>'. Images are stored as uint8 C×H×W in BGR order (3 channels,\n"
    "or 1 with --gray), resized with OpenCV's bilinear interpolation as Caffe does, or as image\n"
    "files with --encoded. With --valid-fraction, OUTPUT is a folder that receives train_lmdb\n"
    "and valid_lmdb. The database is built beside OUTPUT and moved into place when complete.";

struct Flags {
  std::string source, output, list, classes, encode_type;
  int resize_height = 0, resize_width = 0, threads = 0;
  bool gray = false, shuffle = false, encoded = false, force = false;
  bool skip_bad = false, skip_unlabeled = false;
  uint64_t seed = 0;
  double valid_fraction = 0;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("SOURCE", f.source, "image folder (the root of --list paths)")->required();
  app.add_option("OUTPUT", f.output, "the new LMDB folder (or train/valid folder)")->required();
  auto* list = app.add_option("--list", f.list, "list file of '<path> <label>' lines");
  auto* classes = app.add_option("--classes", f.classes, "comma-separated class names, label 0 first");
  list->excludes(classes);
  app.add_flag("--skip-unlabeled", f.skip_unlabeled, "skip files matching no class or several");
  app.add_option("--resize-height", f.resize_height, "resize to this height (with --resize-width)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--resize-width", f.resize_width, "resize to this width (with --resize-height)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--gray", f.gray, "store 1 gray channel instead of 3 (BGR)");
  app.add_flag("--shuffle", f.shuffle, "shuffle the images (seeded by --seed)");
  app.add_option("--seed", f.seed, "random seed for --shuffle and --valid-fraction (default 0)");
  app.add_flag("--encoded", f.encoded, "store image files instead of raw pixels");
  app.add_option("--encode-type", f.encode_type, "with --encoded: png or jpg (default: as the file)")
      ->check(CLI::IsMember({"png", "jpg"}));
  app.add_option("--valid-fraction", f.valid_fraction,
                 "put this fraction of the images into OUTPUT/valid_lmdb, the rest into "
                 "OUTPUT/train_lmdb")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--force", f.force, "replace OUTPUT if it exists");
  app.add_flag("--skip-bad", f.skip_bad, "skip unreadable images (counted) instead of failing");
  app.add_option("--threads", f.threads, "decoding threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.callback([&f] {
    if (f.list.empty() == f.classes.empty())
      throw CLI::ValidationError("labels", "give exactly one of --list FILE or --classes A,B,...");
    if ((f.resize_height > 0) != (f.resize_width > 0))
      throw CLI::ValidationError("--resize-height/--resize-width", "give both or neither");
    if (!f.encode_type.empty() && !f.encoded)
      throw CLI::ValidationError("--encode-type", "only makes sense with --encoded");
    if (f.valid_fraction >= 1.0)
      throw CLI::ValidationError("--valid-fraction", "must be below 1");
    if (f.skip_unlabeled && f.classes.empty())
      throw CLI::ValidationError("--skip-unlabeled", "only makes sense with --classes");
  });
}

int run(const Flags& f) {
  namespace fs = std::filesystem;
  std::vector<cortado::LabeledImage> images;
  std::vector<std::string> class_names;
  if (!f.list.empty()) {
    std::error_code ec;
    if (!fs::is_directory(f.source, ec))
      throw cortado::Error(f.source, "no such folder (expected the root folder of the list's paths)");
    images = cortado::read_image_list(f.list);
  } else {
    class_names = cortado::parse_class_list(f.classes);
    size_t skipped = 0;
    images = cortado::list_class_folder(f.source, class_names, f.skip_unlabeled, &skipped);
    if (skipped) LOG_INFO("Skipped {} files that match no class or several.", skipped);
  }
  LOG_INFO("A total of {} images.", images.size());

  cortado::ImageDbOptions opt;
  opt.image = {f.resize_height, f.resize_width, f.gray, f.encoded, f.encode_type};
  opt.shuffle = f.shuffle;
  opt.seed = f.seed;
  opt.valid_fraction = f.valid_fraction;
  opt.force = f.force;
  opt.skip_bad = f.skip_bad;
  opt.threads = f.threads;
  opt.progress = ::isatty(STDERR_FILENO) != 0;
  cortado::check_output_spares(f.output, {f.source, f.list});
  const cortado::ImageDbReport report = cortado::build_image_db(f.source, images, f.output, opt);

  for (const auto& part : report.parts) {
    std::printf("%s: %zu images\n", part.path.c_str(), part.count);
    for (const auto& [label, n] : part.label_counts) {
      const bool named = label >= 0 && static_cast<size_t>(label) < class_names.size();
      std::printf("  label %d%s: %zu\n", label,
                  named ? (" (" + class_names[label] + ")").c_str() : "", n);
    }
  }
  if (report.skipped_bad) std::printf("skipped %zu unreadable images\n", report.skipped_bad);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "create_lmdb", kDescription, [&](CLI::App& app) { configure(app, f); },
      [&] { return run(f); });
}
