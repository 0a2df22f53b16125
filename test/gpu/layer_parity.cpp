#include "layer_parity.hpp"

#include <algorithm>
#include <memory>
#include <random>

#include "gpu_test_util.hpp"
#include "layers/registry.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {

using Blobs = std::vector<std::unique_ptr<Blob>>;

BlobVec raw(const Blobs& v) {
  BlobVec r;
  for (const auto& b : v) r.push_back(b.get());
  return r;
}

const std::vector<float>* fixed_values(const LayerCase& c, int i) {
  for (const auto& [index, values] : c.fixed_bottoms)
    if (index == i) return &values;
  return nullptr;
}

// Labels and fixed bottoms: no noise, no gradient.
bool is_label(const LayerCase& c, int i) {
  for (int l : c.label_bottoms)
    if (l == i) return true;
  return fixed_values(c, i) != nullptr;
}

void copy_data(const Blob& from, Blob& to) {
  std::copy(from.data(), from.data() + from.count(), to.mutable_data());
}

void compare(const char* what, int index, const Blob& gpu, const Blob& cpu, bool diff, float rel) {
  INFO(what << " " << index << (diff ? " diff" : " data") << ", shape " << cpu.shape_string());
  REQUIRE(gpu.shape() == cpu.shape());
  require_close(diff ? gpu.diff() : gpu.data(), diff ? cpu.diff() : cpu.data(), cpu.count(), rel);
}

}  // namespace

void check_layer_parity(const LayerCase& c) {
  SKIP_WITHOUT_GPU();
  caffe::LayerParameter p;
  parse_text_proto(c.layer, "layer case", p);
  p.set_phase(c.phase);
  INFO("layer " << p.type() << ": " << c.layer);

  Blobs cb, ct, gb, gt;
  for (size_t i = 0; i < c.bottoms.size(); ++i) {
    auto b = std::make_unique<Blob>(c.bottoms[i]);
    if (const std::vector<float>* v = fixed_values(c, int(i))) {
      REQUIRE(int(v->size()) == b->count());
      std::copy(v->begin(), v->end(), b->mutable_data());
    } else if (is_label(c, int(i))) {
      fill_uniform(*b, 0.f, float(c.label_classes), 40 + unsigned(i));
      float* d = b->mutable_data();
      for (int k = 0; k < b->count(); ++k) d[k] = float(int(d[k]) % c.label_classes);
    } else if (c.distinct_spacing > 0.f) {
      std::vector<float> v(b->count());
      for (size_t k = 0; k < v.size(); ++k)
        v[k] = c.distinct_spacing * (float(k) - 0.5f * v.size());
      std::shuffle(v.begin(), v.end(), std::mt19937(30 + unsigned(i)));
      std::copy(v.begin(), v.end(), b->mutable_data());
    } else if (c.uniform_lo < c.uniform_hi) {
      fill_uniform(*b, c.uniform_lo, c.uniform_hi, 30 + unsigned(i));
    } else {
      fill_gaussian(*b, 0.f, 1.f, 30 + unsigned(i));
    }
    auto g = std::make_unique<Blob>(c.bottoms[i]);
    copy_data(*b, *g);
    cb.push_back(std::move(b));
    gb.push_back(std::move(g));
  }
  // A top named as a bottom is that bottom's blob: the layer runs in place.
  const int tops = std::max(1, p.top_size());
  BlobVec cpu_top, gpu_top;
  bool in_place = false;
  for (int i = 0; i < tops; ++i) {
    int same = -1;
    for (int j = 0; j < p.bottom_size() && i < p.top_size(); ++j)
      if (p.top(i) == p.bottom(j)) same = j;
    if (same >= 0) {
      in_place = true;
      cpu_top.push_back(cb[same].get());
      gpu_top.push_back(gb[same].get());
      continue;
    }
    ct.push_back(std::make_unique<Blob>());
    gt.push_back(std::make_unique<Blob>());
    cpu_top.push_back(ct.back().get());
    gpu_top.push_back(gt.back().get());
  }

  auto cpu = create_layer(p);
  auto gpu = create_layer(p);
  cpu->setup(raw(cb), cpu_top);
  gpu->setup(raw(gb), gpu_top);
  REQUIRE(gpu->blobs().size() == cpu->blobs().size());
  if (c.blob_uniform_lo < c.blob_uniform_hi)
    for (size_t i = 0; i < cpu->blobs().size(); ++i)
      fill_uniform(*cpu->blobs()[i], c.blob_uniform_lo, c.blob_uniform_hi, 50 + unsigned(i));
  for (size_t i = 0; i < cpu->blobs().size(); ++i) copy_data(*cpu->blobs()[i], *gpu->blobs()[i]);
  gpu->set_mode(Mode::gpu);
  // A layer without device code would pass by running its CPU code twice.
  REQUIRE(gpu->has_gpu_kernels());

  const float cpu_loss = cpu->forward(raw(cb), cpu_top);
  const float gpu_loss = gpu->forward(raw(gb), gpu_top);
  CHECK(gpu_loss == Approx(cpu_loss).epsilon(c.rel).margin(c.rel));
  for (int i = 0; i < tops; ++i) compare("top", i, *gpu_top[i], *cpu_top[i], false, c.rel);
  // Forward may update blobs too (BatchNorm's running statistics).
  for (size_t i = 0; i < cpu->blobs().size(); ++i)
    compare("param", int(i), *gpu->blobs()[i], *cpu->blobs()[i], false, c.rel);
  if (!c.backward) return;

  // Bottom and param diffs start as the same nonzero noise on both sides (not 0), so
  // that a side accumulating where the other overwrites (Caffe overwrites bottom
  // diffs, accumulates param diffs) shows. Bottoms first: in place, or sharing a
  // top's diff (Flatten, Reshape), the top's noise below replaces it.
  auto same_noise = [](Blob& a, Blob& b, unsigned seed) {
    Blob noise(a.shape());
    fill_gaussian(noise, 0.f, 1.f, seed);
    std::copy(noise.data(), noise.data() + noise.count(), a.mutable_diff());
    std::copy(noise.data(), noise.data() + noise.count(), b.mutable_diff());
  };
  for (size_t i = 0; i < c.bottoms.size(); ++i) same_noise(*cb[i], *gb[i], 70 + unsigned(i));
  for (size_t i = 0; i < cpu->blobs().size(); ++i)
    same_noise(*cpu->blobs()[i], *gpu->blobs()[i], 80 + unsigned(i));

  // Loss tops keep their loss weight as diff; other tops get the same noise.
  for (int i = 0; i < tops; ++i) {
    if (cpu->loss(i) != 0.f) continue;
    Blob noise(cpu_top[i]->shape());
    fill_gaussian(noise, 0.f, 1.f, 60 + unsigned(i));
    std::copy(noise.data(), noise.data() + noise.count(), cpu_top[i]->mutable_diff());
    std::copy(noise.data(), noise.data() + noise.count(), gpu_top[i]->mutable_diff());
  }

  std::vector<bool> down;
  for (size_t i = 0; i < c.bottoms.size(); ++i) down.push_back(!is_label(c, int(i)));
  cpu->backward(cpu_top, down, raw(cb));
  gpu->backward(gpu_top, down, raw(gb));
  for (size_t i = 0; i < c.bottoms.size(); ++i)
    if (down[i]) compare("bottom", int(i), *gb[i], *cb[i], true, c.rel);
  for (size_t i = 0; i < cpu->blobs().size(); ++i)
    compare("param", int(i), *gpu->blobs()[i], *cpu->blobs()[i], true, c.rel);

  // The numeric check perturbs bottoms that forward overwrites in place.
  if (!c.gradient_check || in_place) return;
  GradCheck opts = c.grad;
  if (opts.bottoms.empty()) {
    for (size_t i = 0; i < c.bottoms.size(); ++i)
      if (down[i]) opts.bottoms.push_back(int(i));
    opts.check_bottoms = !opts.bottoms.empty();  // all labels: the blobs only (Embed)
  }
  check_gradients(*gpu, raw(gb), gpu_top, opts);
}

}  // namespace cortado::test
