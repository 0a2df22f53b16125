// The data layers on the GPU (raw batches copied from page-locked memory on a copy
// stream, transformed by a kernel) against the same layers on the CPU: for the same
// source and seed the tops must be equal, bit for bit, as the device does the CPU's
// arithmetic on the crops and flips the prefetch thread drew on the host.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "data/datum_image.hpp"
#include "data/prefetch.hpp"
#include "layers/registry.hpp"
#include "support/data_cases.hpp"
#include "util/proto_io.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

std::unique_ptr<Layer> data_layer_of(const std::string& text) {
  caffe::LayerParameter p;
  parse_text_proto(text, "data layer test", p);
  return create_layer(p);
}

PrefetchingDataLayer& prefetching(Layer& layer) {
  return dynamic_cast<PrefetchingDataLayer&>(layer);
}

void require_equal(const Blob& got, const Blob& want) {
  REQUIRE(got.shape() == want.shape());
  const float* g = got.data();
  const float* w = want.data();
  for (int i = 0; i < want.count(); ++i)
    if (g[i] != w[i]) {
      INFO("element " << i << " of " << want.count());
      REQUIRE(g[i] == w[i]);
    }
}

// Runs the case on both devices, `labels`: with the optional label top.
void check_parity(const DataCase& c, bool labels = true) {
  INFO(c.name);
  auto cpu = data_layer_of(c.layer);
  auto gpu = data_layer_of(c.layer);
  REQUIRE(gpu->has_gpu_kernels());
  gpu->set_mode(Mode::gpu);
  Blob cpu_data, cpu_label, gpu_data, gpu_label;
  const BlobVec cpu_top = labels ? BlobVec{&cpu_data, &cpu_label} : BlobVec{&cpu_data};
  const BlobVec gpu_top = labels ? BlobVec{&gpu_data, &gpu_label} : BlobVec{&gpu_data};
  cpu->setup({}, cpu_top);
  gpu->setup({}, gpu_top);
  prefetching(*cpu).seed(1701);
  prefetching(*gpu).seed(1701);
  for (int step = 0; step < c.steps; ++step) {
    INFO("step " << step);
    cpu->forward({}, cpu_top);
    gpu->forward({}, gpu_top);
    require_equal(gpu_data, cpu_data);
    if (labels) require_equal(gpu_label, cpu_label);
    CHECK(prefetching(*gpu).position() == prefetching(*cpu).position());
    CHECK(prefetching(*gpu).save_state() == prefetching(*cpu).save_state());
  }
}

// The GPU check machine carries a stub for OpenCV's image codecs (scripts/gpu_check.sh);
// the test images are plain PNGs, which read_image decodes without OpenCV's codecs.
bool image_codecs_work() {
  try {
    return !read_image(testdata("images/ankle_boot.0.png"), cv::IMREAD_COLOR).empty();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace
#endif

TEST_CASE("Data on the GPU equals Data on the CPU for the same source and seed", "[gpu][data]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  for (const DataCase& c : data_cases()) check_parity(c);
#endif
}

TEST_CASE("Data on the GPU without the label top, and with one prefetched batch", "[gpu][data]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  const std::string train = testdata("lmdb/fashion_mnist_train1000_lmdb");
  check_parity({"no label top",
                "name: 'd' type: 'Data' phase: TRAIN data_param { source: '" + train +
                    "' batch_size: 64 backend: LMDB } transform_param { crop_size: 24 mirror: "
                    "true }",
                3},
               false);
  // prefetch 1: every staging slot is reused at once, so a copy into it must wait for
  // the transform that last read it.
  check_parity({"prefetch 1",
                "name: 'd' type: 'Data' phase: TRAIN data_param { source: '" + train +
                    "' batch_size: 200 backend: LMDB prefetch: 1 } transform_param { "
                    "crop_size: 25 mirror: true scale: 0.00390625 }",
                12});
#endif
}

TEST_CASE("Data switching between GPU and CPU mode keeps the batch sequence", "[gpu][data]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  const DataCase c = data_cases()[0];
  auto cpu = data_layer_of(c.layer);
  auto mixed = data_layer_of(c.layer);
  Blob cpu_data, cpu_label, data, label;
  cpu->setup({}, {&cpu_data, &cpu_label});
  mixed->setup({}, {&data, &label});
  prefetching(*cpu).seed(42);
  prefetching(*mixed).seed(42);
  for (int step = 0; step < 8; ++step) {
    INFO("step " << step);
    mixed->set_mode(step % 3 == 1 ? Mode::cpu : Mode::gpu);
    cpu->forward({}, {&cpu_data, &cpu_label});
    mixed->forward({}, {&data, &label});
    require_equal(data, cpu_data);
    require_equal(label, cpu_label);
  }
  // A state saved in GPU mode resumes a layer on the CPU at the same place.
  auto resumed = data_layer_of(c.layer);
  Blob resumed_data, resumed_label;
  resumed->setup({}, {&resumed_data, &resumed_label});
  prefetching(*resumed).restore_state(prefetching(*mixed).save_state());
  cpu->forward({}, {&cpu_data, &cpu_label});
  resumed->forward({}, {&resumed_data, &resumed_label});
  require_equal(resumed_data, cpu_data);
#endif
}

TEST_CASE("ImageData on the GPU equals ImageData on the CPU", "[gpu][data][image_data]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  if (!image_codecs_work()) {
    WARN("OpenCV cannot read image files in this build: ImageData parity not checked");
    return;
  }
  for (const DataCase& c : image_data_cases()) check_parity(c);
#endif
}

}  // namespace cortado::test
