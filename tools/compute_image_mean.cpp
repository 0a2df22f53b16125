// compute_image_mean: the mean image of an LMDB, written as Caffe's mean.binaryproto.
#include <string>

#include "caffe.pb.h"
#include "data/mean.hpp"
#include "util/atomic_file.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"
#include "util/tool_main.hpp"

namespace {

struct Flags {
  std::string db, out, backend = "lmdb";
};

int run(const Flags& f) {
  if (!f.out.empty()) cortado::check_output_spares(f.out, {f.db + "/data.mdb", f.db});
  const cortado::MeanImage mean = cortado::compute_mean(f.db);
  if (!f.out.empty()) {
    LOG_INFO("Write to {}", f.out);
    caffe::BlobProto blob;
    cortado::mean_to_blobproto(mean, blob);
    cortado::write_binary_proto(f.out, blob);
  }
  const std::vector<float> means = cortado::channel_means(mean);
  LOG_INFO("Number of channels: {}", mean.channels);
  for (size_t c = 0; c < means.size(); ++c)
    LOG_INFO("mean_value channel [{}]: {}", c, cortado::format_float6(means[c]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "compute_image_mean",
      "Computes the mean image of an LMDB of Datums (raw or encoded, all of one size) and\n"
      "writes it as a BlobProto (mean.binaryproto, Caffe's layout); logs the per-channel means.",
      [&](CLI::App& app) {
        app.add_option("DB", f.db, "LMDB folder")->required();
        app.add_option("OUT", f.out, "the mean.binaryproto to write (optional)");
        app.add_option("--backend", f.backend, "database type; only lmdb (Caffe's flag)")
            ->check(CLI::IsMember({"lmdb"}));
      },
      [&] { return run(f); });
}
