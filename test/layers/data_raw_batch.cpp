// The data layers' raw-batch path (GPU mode's host half), checked on the host: the
// batches the prefetch thread leaves raw, transformed by raw_output (the formula the
// device kernel runs), equal the CPU path's tops exactly, for the same seed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>

#include "data/prefetch.hpp"
#include "data/raw_batch.hpp"
#include "data/transformer.hpp"
#include "layers/data.hpp"
#include "layers/image_data.hpp"
#include "layers/registry.hpp"
#include "support/data_cases.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {

// Plain host memory in place of the page-locked staging buffer. It moves on every
// growth, so reserve()'s `keep` is exercised.
class HostStaging : public StagingBuffer {
 public:
  uint8_t* reserve(size_t bytes, size_t keep) override {
    if (bytes > memory_.size()) {
      std::vector<uint8_t> grown(bytes);
      std::copy_n(memory_.begin(), std::min(keep, memory_.size()), grown.begin());
      memory_.swap(grown);
    }
    return memory_.data();
  }
  void upload(const DataBatch& /*batch*/) override { uploaded_ = true; }
  const uint8_t* memory() const { return memory_.data(); }
  bool uploaded() const { return uploaded_; }

 private:
  std::vector<uint8_t> memory_;
  bool uploaded_ = false;
};

// A data layer whose batches can also be taken raw, as forward_gpu takes them.
template <class L>
class RawProbe : public L {
 public:
  using L::L;
  void raw_forward(Blob& data, Blob& label) {
    if (!transformer_)
      transformer_ =
          std::make_unique<Transformer>(this->effective_transform_param(), this->phase());
    const typename L::StagingFactory staging = [] { return std::make_shared<HostStaging>(); };
    DataBatch batch = this->next_batch(&staging);
    const auto* host = dynamic_cast<const HostStaging*>(batch.raw.buffer.get());
    REQUIRE(host);
    CHECK(host->uploaded());
    CHECK(batch.data.empty());
    REQUIRE(batch.data_shape.size() == 4u);
    REQUIRE(batch.raw.items.size() == static_cast<size_t>(batch.data_shape[0]));
    data.reshape(batch.data_shape);
    const std::vector<float>& mean_image = transformer_->mean_image();
    const std::vector<float>& mean_values = transformer_->mean_values();
    for (int i = 0; i < data.count(); ++i)
      data.mutable_data()[i] = raw_output(
          i, batch.data_shape[1], batch.data_shape[2], batch.data_shape[3], host->memory(),
          batch.raw.items.data(), mean_image.empty() ? nullptr : mean_image.data(),
          mean_values.data(), static_cast<int>(mean_values.size()), transformer_->scale());
    label.reshape(std::vector<int>{static_cast<int>(batch.labels.size())});
    std::copy(batch.labels.begin(), batch.labels.end(), label.mutable_data());
    this->handed_out(batch);
  }

 private:
  std::unique_ptr<Transformer> transformer_;
};

caffe::LayerParameter param_of(const std::string& text) {
  caffe::LayerParameter p;
  parse_text_proto(text, "test layer", p);
  return p;
}

void require_equal(const Blob& got, const Blob& want) {
  REQUIRE(got.shape() == want.shape());
  for (int i = 0; i < want.count(); ++i)
    if (got.data()[i] != want.data()[i]) {
      INFO("element " << i << " of " << want.count());
      REQUIRE(got.data()[i] == want.data()[i]);
    }
}

template <class L>
void check_raw_path(const DataCase& c) {
  INFO(c.name);
  auto cpu = create_layer(param_of(c.layer));
  RawProbe<L> raw(param_of(c.layer));
  Blob cpu_data, cpu_label, raw_data, raw_label;
  cpu->setup({}, {&cpu_data, &cpu_label});
  raw.setup({}, {&raw_data, &raw_label});
  dynamic_cast<PrefetchingDataLayer&>(*cpu).seed(1701);
  raw.seed(1701);
  for (int step = 0; step < c.steps; ++step) {
    INFO("step " << step);
    cpu->forward({}, {&cpu_data, &cpu_label});
    raw.raw_forward(raw_data, raw_label);
    require_equal(raw_data, cpu_data);
    require_equal(raw_label, cpu_label);
    CHECK(raw.position() == dynamic_cast<PrefetchingDataLayer&>(*cpu).position());
  }
}

}  // namespace

TEST_CASE("Data raw batches transformed by raw_output equal the CPU path", "[layers][data]") {
  for (const DataCase& c : data_cases()) check_raw_path<DataLayer>(c);
}

TEST_CASE("ImageData raw batches transformed by raw_output equal the CPU path",
          "[layers][image_data]") {
  for (const DataCase& c : image_data_cases()) check_raw_path<ImageDataLayer>(c);
}

TEST_CASE("Data switching between raw and transformed batches keeps the batch sequence",
          "[layers][data]") {
  // Each switch restarts the prefetch thread from the last batch handed out.
  const DataCase c = data_cases()[0];
  auto cpu = create_layer(param_of(c.layer));
  RawProbe<DataLayer> mixed(param_of(c.layer));
  Blob cpu_data, cpu_label, data, label;
  cpu->setup({}, {&cpu_data, &cpu_label});
  mixed.setup({}, {&data, &label});
  dynamic_cast<PrefetchingDataLayer&>(*cpu).seed(42);
  mixed.seed(42);
  for (int step = 0; step < 8; ++step) {
    INFO("step " << step);
    cpu->forward({}, {&cpu_data, &cpu_label});
    if (step % 3 == 1)
      mixed.forward({}, {&data, &label});
    else
      mixed.raw_forward(data, label);
    require_equal(data, cpu_data);
    require_equal(label, cpu_label);
  }
  // A state saved after raw batches resumes a CPU layer at the same place.
  RawProbe<DataLayer> resumed(param_of(c.layer));
  Blob resumed_data, resumed_label;
  resumed.setup({}, {&resumed_data, &resumed_label});
  resumed.restore_state(mixed.save_state());
  cpu->forward({}, {&cpu_data, &cpu_label});
  resumed.forward({}, {&resumed_data, &resumed_label});
  require_equal(resumed_data, cpu_data);
}

}  // namespace cortado::test
