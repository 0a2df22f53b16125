// Recurrent layers: LSTMUnit, LSTM and RNN against hand-worked values and a plain
// reference loop, numeric gradients through time, exposed state, Caffe's blob order.
#include <cmath>

#include "net/net.hpp"
#include "neuron_structural_util.hpp"
#include "util/rng.hpp"

namespace cortado::test {
namespace {

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// T = 3 steps of N = 2 streams: stream 0 has cont {0, 1, 1}; stream 1 has {0, 0, 1},
// a new sequence starting at its second step.
const std::vector<float> kRestart = {0, 0, 1, 0, 1, 1};
// The same, but both streams continue the state they were given at the first step.
const std::vector<float> kContinue = {1, 1, 1, 0, 1, 1};

std::vector<float> slice(const std::vector<float>& v, size_t from, size_t n) {
  return {v.begin() + from, v.begin() + from + n};
}

void fill_params(Layer& layer, float range, unsigned seed) {
  for (auto& b : layer.blobs()) fill_uniform(*b, -range, range, seed++);
}

// A plain loop over time for Caffe's LSTM, in double. w: W_xc, b_c, [W_xc_static], W_hc.
struct LstmOut {
  std::vector<float> h, h_last, c_last;
};
LstmOut lstm_reference(int T, int N, int I, int H, const Blob& x, const std::vector<float>& cont,
                       const Blob* xs, const std::vector<std::shared_ptr<Blob>>& w,
                       std::vector<double> h, std::vector<double> c) {
  const int S = xs ? xs->count(1) : 0;
  const float* wxc = w[0]->data();
  const float* bc = w[1]->data();
  const float* ws = xs ? w[2]->data() : nullptr;
  const float* whc = w[xs ? 3 : 2]->data();
  LstmOut out;
  for (int t = 0; t < T; ++t) {
    std::vector<double> hn(N * H), cn(N * H);
    for (int n = 0; n < N; ++n) {
      const double k = cont[t * N + n];
      std::vector<double> gate(4 * H);
      for (int j = 0; j < 4 * H; ++j) {
        double s = bc[j];
        for (int i = 0; i < I; ++i) s += double(wxc[j * I + i]) * x.data()[(t * N + n) * I + i];
        for (int i = 0; i < S; ++i) s += double(ws[j * S + i]) * xs->data()[n * S + i];
        for (int d = 0; d < H; ++d) s += double(whc[j * H + d]) * k * h[n * H + d];
        gate[j] = s;
      }
      for (int d = 0; d < H; ++d) {
        const double i = sig(gate[d]), f = sig(gate[H + d]), o = sig(gate[2 * H + d]),
                     g = std::tanh(gate[3 * H + d]);
        cn[n * H + d] = k * f * c[n * H + d] + i * g;
        hn[n * H + d] = o * std::tanh(cn[n * H + d]);
      }
    }
    h = hn, c = cn;
    for (double v : h) out.h.push_back(float(v));
  }
  for (double v : h) out.h_last.push_back(float(v));
  for (double v : c) out.c_last.push_back(float(v));
  return out;
}

// The same for Caffe's RNN. w: W_xh, b_h, [W_xh_static], W_hh, W_ho, b_o.
struct RnnOut {
  std::vector<float> o, h_last;
};
RnnOut rnn_reference(int T, int N, int I, int H, const Blob& x, const std::vector<float>& cont,
                     const Blob* xs, const std::vector<std::shared_ptr<Blob>>& w,
                     std::vector<double> h) {
  const int S = xs ? xs->count(1) : 0;
  const int off = xs ? 1 : 0;
  const float* wxh = w[0]->data();
  const float* bh = w[1]->data();
  const float* ws = xs ? w[2]->data() : nullptr;
  const float* whh = w[2 + off]->data();
  const float* who = w[3 + off]->data();
  const float* bo = w[4 + off]->data();
  RnnOut out;
  for (int t = 0; t < T; ++t) {
    std::vector<double> hn(N * H);
    for (int n = 0; n < N; ++n) {
      const double k = cont[t * N + n];
      for (int j = 0; j < H; ++j) {
        double s = bh[j];
        for (int i = 0; i < I; ++i) s += double(wxh[j * I + i]) * x.data()[(t * N + n) * I + i];
        for (int i = 0; i < S; ++i) s += double(ws[j * S + i]) * xs->data()[n * S + i];
        for (int d = 0; d < H; ++d) s += double(whh[j * H + d]) * k * h[n * H + d];
        hn[n * H + j] = std::tanh(s);
      }
      for (int j = 0; j < H; ++j) {
        double s = bo[j];
        for (int d = 0; d < H; ++d) s += double(who[j * H + d]) * hn[n * H + d];
        out.o.push_back(float(std::tanh(s)));
      }
    }
    h = hn;
  }
  for (double v : h) out.h_last.push_back(float(v));
  return out;
}

std::vector<int> shapes_of(Layer& layer, size_t i) { return layer.blobs()[i]->shape(); }

}  // namespace

// --- LSTMUnit -------------------------------------------------------------------

TEST_CASE("LSTMUnit forward by hand, H 1, cont 1 keeps and cont 0 drops c_prev",
          "[layers][lstm_unit]") {
  // ln 3 gives sigmoid 0.75; atanh(0.5) = 0.5493061 gives tanh 0.5.
  const float ln3 = std::log(3.f), at = 0.5493061f;
  Blob c_prev({1, 2, 1}), x({1, 2, 4}), cont({1, 2}), c, h;
  set_values(c_prev, {2.f, 3.f});
  set_values(x, {0, ln3, 0, at,  // i 0.5, f 0.75, o 0.5, g 0.5
                 0, 5, 0, at});  // f would be ~1, but cont is 0
  set_values(cont, {1, 0});
  auto layer = make_layer(R"(type: "LSTMUnit")");
  layer->setup({&c_prev, &x, &cont}, {&c, &h});
  REQUIRE(c.shape() == std::vector<int>{1, 2, 1});
  REQUIRE(h.shape() == std::vector<int>{1, 2, 1});
  layer->forward({&c_prev, &x, &cont}, {&c, &h});
  // c = 0.75 * 2 + 0.5 * 0.5 = 1.75; with cont 0, c = 0.5 * 0.5 = 0.25; h = 0.5 tanh(c).
  require_near(values(c), {1.75f, 0.25f});
  require_near(values(h), {0.4706878f, 0.1224593f});
}

TEST_CASE("LSTMUnit forward by hand, H 2, gates laid out i f o g", "[layers][lstm_unit]") {
  const float ln3 = std::log(3.f), at = 0.5493061f;
  Blob c_prev({1, 1, 2}), x({1, 1, 8}), cont({1, 1}), c, h;
  set_values(c_prev, {1.f, -2.f});
  // i = (0.5, 0.75), f = (0.75, 0.5), o = (0.5, 0.25), g = (0.5, -0.5)
  set_values(x, {0, ln3, ln3, 0, 0, -ln3, at, -at});
  set_values(cont, {1});
  auto layer = make_layer(R"(type: "LSTMUnit")");
  layer->setup({&c_prev, &x, &cont}, {&c, &h});
  layer->forward({&c_prev, &x, &cont}, {&c, &h});
  require_near(values(c), {1.0f, -1.375f});
  require_near(values(h), {0.3807971f, -0.2199567f});
}

TEST_CASE("LSTMUnit gradient matches numeric differences for c_prev and X", "[layers][lstm_unit]") {
  Blob c_prev({1, 3, 2}), x({1, 3, 8}), cont({1, 3}), c, h;
  fill_gaussian(c_prev, 0.f, 1.f, 11);
  fill_gaussian(x, 0.f, 1.f, 12);
  set_values(cont, {1, 0, 1});
  auto layer = make_layer(R"(type: "LSTMUnit")");
  layer->setup({&c_prev, &x, &cont}, {&c, &h});
  GradCheck opts;
  opts.bottoms = {0, 1};
  check_gradients(*layer, {&c_prev, &x, &cont}, {&c, &h}, opts);
  // cont 0 cuts c_prev off: no gradient reaches it, nor the forget gate.
  layer->forward({&c_prev, &x, &cont}, {&c, &h});
  c.set_diff(1.f);
  h.set_diff(1.f);
  layer->backward({&c, &h}, {true, true, false}, {&c_prev, &x, &cont});
  REQUIRE(c_prev.diff()[2] == 0.f);
  REQUIRE(c_prev.diff()[3] == 0.f);
  REQUIRE(x.diff()[8 + 2] == 0.f);
  REQUIRE(x.diff()[8 + 3] == 0.f);
  REQUIRE(c_prev.diff()[0] != 0.f);
}

TEST_CASE("LSTMUnit refuses bad shapes and a gradient for cont", "[layers][lstm_unit]") {
  Blob c_prev({1, 2, 3}), x({1, 2, 12}), cont({1, 2}), c, h;
  Blob bad_x({1, 2, 11}), bad_cont({2, 2});
  auto layer = make_layer(R"(name: "unit" type: "LSTMUnit")");
  REQUIRE_THROWS_WITH(layer->setup({&c_prev, &bad_x, &cont}, {&c, &h}),
                      Catch::Contains("layer 'unit' (LSTMUnit)") && Catch::Contains("4H"));
  auto layer2 = make_layer(R"(name: "unit" type: "LSTMUnit")");
  REQUIRE_THROWS_WITH(layer2->setup({&c_prev, &x, &bad_cont}, {&c, &h}),
                      Catch::Contains("layer 'unit' (LSTMUnit)") && Catch::Contains("cont"));
  auto ok = make_layer(R"(name: "unit" type: "LSTMUnit")");
  ok->setup({&c_prev, &x, &cont}, {&c, &h});
  REQUIRE_FALSE(ok->allow_force_backward(2));
  REQUIRE(ok->allow_force_backward(1));
  ok->forward({&c_prev, &x, &cont}, {&c, &h});
  REQUIRE_THROWS_WITH(ok->backward({&c, &h}, {true, true, true}, {&c_prev, &x, &cont}),
                      Catch::Contains("layer 'unit' (LSTMUnit)") && Catch::Contains("cont"));
}

// --- LSTM -------------------------------------------------------------------------

TEST_CASE("LSTM shapes and its learnable blobs in Caffe's order", "[layers][lstm]") {
  Blob x({3, 2, 2, 2}), cont({3, 2}), xs({2, 5}), y;
  set_values(cont, kRestart);
  auto plain = make_layer(R"(type: "LSTM" recurrent_param { num_output: 3 })");
  plain->setup({&x, &cont}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2, 3});
  REQUIRE(plain->blobs().size() == 3);
  CHECK(shapes_of(*plain, 0) == std::vector<int>{12, 4});  // W_xc
  CHECK(shapes_of(*plain, 1) == std::vector<int>{12});     // b_c
  CHECK(shapes_of(*plain, 2) == std::vector<int>{12, 3});  // W_hc

  auto with_static = make_layer(R"(type: "LSTM" recurrent_param { num_output: 3 })");
  with_static->setup({&x, &cont, &xs}, {&y});
  REQUIRE(with_static->blobs().size() == 4);
  CHECK(shapes_of(*with_static, 0) == std::vector<int>{12, 4});  // W_xc
  CHECK(shapes_of(*with_static, 1) == std::vector<int>{12});     // b_c
  CHECK(shapes_of(*with_static, 2) == std::vector<int>{12, 5});  // W_xc_static
  CHECK(shapes_of(*with_static, 3) == std::vector<int>{12, 3});  // W_hc

  Blob h0({1, 2, 3}), c0({1, 2, 3}), hT, cT;
  auto exposed =
      make_layer(R"(type: "LSTM" recurrent_param { num_output: 3 expose_hidden: true })");
  REQUIRE(exposed->min_bottom_blobs() == 4);
  REQUIRE(exposed->max_bottom_blobs() == 5);
  REQUIRE(exposed->exact_num_top_blobs() == 3);
  exposed->setup({&x, &cont, &h0, &c0}, {&y, &hT, &cT});
  REQUIRE(exposed->blobs().size() == 3);
  REQUIRE(hT.shape() == std::vector<int>{1, 2, 3});
  REQUIRE(cT.shape() == std::vector<int>{1, 2, 3});
  REQUIRE_FALSE(exposed->allow_force_backward(1));

  // Fillers: weight_filler for the weights, bias_filler for b_c.
  auto filled = make_layer(R"(type: "LSTM" recurrent_param { num_output: 3
      weight_filler { type: "constant" value: 0.25 } bias_filler { type: "constant" value: 2 } })");
  filled->setup({&x, &cont, &xs}, {&y});
  for (size_t i : {0u, 2u, 3u})
    for (float v : values(*filled->blobs()[i])) REQUIRE(v == 0.25f);
  for (float v : values(*filled->blobs()[1])) REQUIRE(v == 2.f);

  // A new T or N reshapes the top.
  Blob x2({5, 4, 4}), cont2({5, 4});
  plain->forward({&x2, &cont2}, {&y});
  REQUIRE(y.shape() == std::vector<int>{5, 4, 3});
}

TEST_CASE("LSTM forward matches a reference loop, with a sequence restart", "[layers][lstm]") {
  for (bool use_static : {false, true}) {
    INFO("static input " << use_static);
    Blob x({3, 2, 4}), cont({3, 2}), xs({2, 3}), y;
    fill_gaussian(x, 0.f, 1.f, 21);
    fill_gaussian(xs, 0.f, 1.f, 22);
    set_values(cont, kRestart);
    auto layer = make_layer(R"(type: "LSTM" recurrent_param { num_output: 2 })");
    const BlobVec bottom = use_static ? BlobVec{&x, &cont, &xs} : BlobVec{&x, &cont};
    layer->setup(bottom, {&y});
    fill_params(*layer, 0.8f, 23);
    layer->forward(bottom, {&y});
    const auto ref =
        lstm_reference(3, 2, 4, 2, x, kRestart, use_static ? &xs : nullptr, layer->blobs(),
                       std::vector<double>(4, 0.0), std::vector<double>(4, 0.0));
    require_near(values(y), ref.h, 1e-5f);

    // The restart: stream 1's outputs from step 1 on do not depend on its step-0 input.
    const auto before = values(y);
    for (int i = 0; i < 4; ++i) x.mutable_data()[4 + i] += 1.f;  // x at t 0, stream 1
    layer->forward(bottom, {&y});
    const auto after = values(y);
    CHECK(after[2] != Approx(before[2]).margin(1e-4));  // t 0, stream 1 changed
    for (int t = 1; t < 3; ++t)
      for (int d = 0; d < 2; ++d) CHECK(after[(t * 2 + 1) * 2 + d] == before[(t * 2 + 1) * 2 + d]);
    // ... while stream 0, which continues, is unaffected too (its own inputs are unchanged).
    for (int t = 0; t < 3; ++t)
      for (int d = 0; d < 2; ++d) CHECK(after[(t * 2) * 2 + d] == before[(t * 2) * 2 + d]);
  }
}

TEST_CASE("LSTM exposed state: h_0, c_0 in, the last step's h and c out", "[layers][lstm]") {
  Blob x({3, 2, 4}), cont({3, 2}), xs({2, 3}), h0({1, 2, 2}), c0({1, 2, 2}), y, hT, cT;
  fill_gaussian(x, 0.f, 1.f, 31);
  fill_gaussian(xs, 0.f, 1.f, 32);
  fill_gaussian(h0, 0.f, 0.5f, 33);
  fill_gaussian(c0, 0.f, 0.5f, 34);
  set_values(cont, kContinue);
  auto layer = make_layer(R"(type: "LSTM" recurrent_param { num_output: 2 expose_hidden: true })");
  const BlobVec bottom{&x, &cont, &xs, &h0, &c0}, top{&y, &hT, &cT};
  layer->setup(bottom, top);
  fill_params(*layer, 0.8f, 35);
  layer->forward(bottom, top);
  std::vector<double> h_init(h0.data(), h0.data() + 4), c_init(c0.data(), c0.data() + 4);
  const auto ref = lstm_reference(3, 2, 4, 2, x, kContinue, &xs, layer->blobs(), h_init, c_init);
  require_near(values(y), ref.h, 1e-5f);
  require_near(values(hT), slice(values(y), 8, 4));
  require_near(values(hT), ref.h_last, 1e-5f);
  require_near(values(cT), ref.c_last, 1e-5f);
  // The initial state matters (cont is 1 at the first step).
  const auto zero = lstm_reference(3, 2, 4, 2, x, kContinue, &xs, layer->blobs(),
                                   std::vector<double>(4, 0.0), std::vector<double>(4, 0.0));
  CHECK(zero.h[0] != Approx(ref.h[0]).margin(1e-4));
}

TEST_CASE("LSTM without exposed state carries the last state into the next batch, as Caffe",
          "[layers][lstm]") {
  Blob x({3, 2, 4}), cont({3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 41);
  set_values(cont, kRestart);
  auto layer = make_layer(R"(type: "LSTM" recurrent_param { num_output: 2 })");
  layer->setup({&x, &cont}, {&y});
  fill_params(*layer, 0.8f, 42);
  layer->forward({&x, &cont}, {&y});
  const auto first = lstm_reference(3, 2, 4, 2, x, kRestart, nullptr, layer->blobs(),
                                    std::vector<double>(4, 0.0), std::vector<double>(4, 0.0));
  require_near(values(y), first.h, 1e-5f);
  // Next batch: cont 1 at the first step continues from the last batch's final h and c.
  Blob x2({3, 2, 4});
  fill_gaussian(x2, 0.f, 1.f, 43);
  set_values(cont, kContinue);
  layer->forward({&x2, &cont}, {&y});
  std::vector<double> h(first.h_last.begin(), first.h_last.end()),
      c(first.c_last.begin(), first.c_last.end());
  const auto second = lstm_reference(3, 2, 4, 2, x2, kContinue, nullptr, layer->blobs(), h, c);
  require_near(values(y), second.h, 1e-5f);
  // A new number of streams starts from zero.
  Blob x3({3, 1, 4}), cont3({3, 1}), y3;
  fill_gaussian(x3, 0.f, 1.f, 44);
  set_values(cont3, {1, 1, 1});
  layer->forward({&x3, &cont3}, {&y3});
  const auto third = lstm_reference(3, 1, 4, 2, x3, {1, 1, 1}, nullptr, layer->blobs(),
                                    std::vector<double>(2, 0.0), std::vector<double>(2, 0.0));
  require_near(values(y3), third.h, 1e-5f);
}

TEST_CASE("LSTM gradient matches numeric differences for x, x_static and every blob",
          "[layers][lstm]") {
  seed_global_rng(50);
  Blob x({3, 2, 3}), cont({3, 2}), xs({2, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 51);
  fill_gaussian(xs, 0.f, 1.f, 52);
  set_values(cont, kRestart);
  auto layer = make_layer(R"(type: "LSTM" recurrent_param { num_output: 2
      weight_filler { type: "uniform" min: -0.5 max: 0.5 }
      bias_filler { type: "uniform" min: -0.5 max: 0.5 } })");
  layer->setup({&x, &cont, &xs}, {&y});
  GradCheck opts;
  opts.bottoms = {0, 2};
  check_gradients(*layer, {&x, &cont, &xs}, {&y}, opts);
}

// Backward with the given diffs on the final-state tops; returns x's diff.
static std::vector<float> x_diff_with_state_diffs(Layer& layer, const BlobVec& bottom,
                                                  const BlobVec& top, float state_diff) {
  layer.forward(bottom, top);
  for (Blob* b : bottom) b->set_diff(42.f);  // overwritten where it propagates
  for (auto& p : layer.blobs()) p->set_diff(0.f);
  std::vector<float> dy(top[0]->count(), 0.f);
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  std::copy(dy.begin(), dy.end(), top[0]->mutable_diff());
  for (size_t k = 1; k < top.size(); ++k) top[k]->set_diff(state_diff);
  std::vector<bool> down(bottom.size(), true);
  down[1] = false;  // cont
  layer.backward(top, down, bottom);
  return diffs(*bottom[0]);
}

TEST_CASE("LSTM with exposed state sends no gradient across it, as Caffe", "[layers][lstm]") {
  seed_global_rng(60);
  Blob x({3, 2, 3}), cont({3, 2}), xs({2, 2}), h0({1, 2, 2}), c0({1, 2, 2}), y, hT, cT;
  fill_gaussian(x, 0.f, 1.f, 61);
  fill_gaussian(xs, 0.f, 1.f, 62);
  fill_gaussian(h0, 0.f, 0.5f, 63);
  fill_gaussian(c0, 0.f, 0.5f, 64);
  set_values(cont, kContinue);
  auto layer = make_layer(R"(type: "LSTM" recurrent_param { num_output: 2 expose_hidden: true
      weight_filler { type: "uniform" min: -0.5 max: 0.5 }
      bias_filler { type: "uniform" min: -0.5 max: 0.5 } })");
  const BlobVec bottom{&x, &cont, &xs, &h0, &c0}, top{&y, &hT, &cT};
  layer->setup(bottom, top);
  // The final state's diffs change nothing; the initial state gets zeros.
  const auto with_zero = x_diff_with_state_diffs(*layer, bottom, top, 0.f);
  const auto with_ones = x_diff_with_state_diffs(*layer, bottom, top, 1.f);
  require_near(with_ones, with_zero, 0.f);
  REQUIRE(x.asum_diff() > 0.f);
  REQUIRE(h0.asum_diff() == 0.f);
  REQUIRE(c0.asum_diff() == 0.f);
}

TEST_CASE("LSTM accumulates parameter gradients and refuses a gradient for cont",
          "[layers][lstm]") {
  seed_global_rng(70);
  Blob x({3, 2, 3}), cont({3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 71);
  set_values(cont, kRestart);
  auto layer = make_layer(R"(name: "lstm1" type: "LSTM" recurrent_param { num_output: 2
      weight_filler { type: "uniform" min: -0.5 max: 0.5 } })");
  layer->setup({&x, &cont}, {&y});
  layer->forward({&x, &cont}, {&y});
  for (int i = 0; i < y.count(); ++i) y.mutable_diff()[i] = 0.1f * (i % 5) - 0.2f;
  for (auto& b : layer->blobs()) b->set_diff(0.f);
  layer->backward({&y}, {true, false}, {&x, &cont});
  std::vector<std::vector<float>> once;
  for (auto& b : layer->blobs()) once.push_back(diffs(*b));
  layer->backward({&y}, {true, false}, {&x, &cont});
  for (size_t i = 0; i < once.size(); ++i) {
    std::vector<float> twice = once[i];
    for (float& v : twice) v *= 2.f;
    require_near(diffs(*layer->blobs()[i]), twice);
  }
  REQUIRE_THROWS_WITH(layer->backward({&y}, {true, true}, {&x, &cont}),
                      Catch::Contains("layer 'lstm1' (LSTM)") && Catch::Contains("cont"));
}

// --- RNN --------------------------------------------------------------------------

TEST_CASE("RNN shapes and its learnable blobs in Caffe's order", "[layers][rnn]") {
  Blob x({3, 2, 4}), cont({3, 2}), xs({2, 5}), y;
  set_values(cont, kRestart);
  auto plain = make_layer(R"(type: "RNN" recurrent_param { num_output: 3 })");
  plain->setup({&x, &cont}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2, 3});
  REQUIRE(plain->blobs().size() == 5);
  CHECK(shapes_of(*plain, 0) == std::vector<int>{3, 4});  // W_xh
  CHECK(shapes_of(*plain, 1) == std::vector<int>{3});     // b_h
  CHECK(shapes_of(*plain, 2) == std::vector<int>{3, 3});  // W_hh
  CHECK(shapes_of(*plain, 3) == std::vector<int>{3, 3});  // W_ho
  CHECK(shapes_of(*plain, 4) == std::vector<int>{3});     // b_o

  auto with_static = make_layer(R"(type: "RNN" recurrent_param { num_output: 3
      weight_filler { type: "constant" value: 0.5 } bias_filler { type: "constant" value: -1 } })");
  with_static->setup({&x, &cont, &xs}, {&y});
  REQUIRE(with_static->blobs().size() == 6);
  CHECK(shapes_of(*with_static, 2) == std::vector<int>{3, 5});  // W_xh_static
  CHECK(shapes_of(*with_static, 3) == std::vector<int>{3, 3});  // W_hh
  CHECK(shapes_of(*with_static, 5) == std::vector<int>{3});     // b_o
  for (size_t i = 0; i < 6; ++i)
    for (float v : values(*with_static->blobs()[i])) REQUIRE(v == (i == 1 || i == 5 ? -1.f : 0.5f));

  Blob h0({1, 2, 3}), hT;
  auto exposed = make_layer(R"(type: "RNN" recurrent_param { num_output: 3 expose_hidden: true })");
  REQUIRE(exposed->min_bottom_blobs() == 3);
  REQUIRE(exposed->exact_num_top_blobs() == 2);
  exposed->setup({&x, &cont, &h0}, {&y, &hT});
  REQUIRE(hT.shape() == std::vector<int>{1, 2, 3});
}

TEST_CASE("RNN forward matches a reference loop, with a sequence restart", "[layers][rnn]") {
  for (bool use_static : {false, true}) {
    INFO("static input " << use_static);
    Blob x({3, 2, 4}), cont({3, 2}), xs({2, 3}), y;
    fill_gaussian(x, 0.f, 1.f, 81);
    fill_gaussian(xs, 0.f, 1.f, 82);
    set_values(cont, kRestart);
    auto layer = make_layer(R"(type: "RNN" recurrent_param { num_output: 2 })");
    const BlobVec bottom = use_static ? BlobVec{&x, &cont, &xs} : BlobVec{&x, &cont};
    layer->setup(bottom, {&y});
    fill_params(*layer, 0.8f, 83);
    layer->forward(bottom, {&y});
    const auto ref = rnn_reference(3, 2, 4, 2, x, kRestart, use_static ? &xs : nullptr,
                                   layer->blobs(), std::vector<double>(4, 0.0));
    require_near(values(y), ref.o, 1e-5f);

    const auto before = values(y);
    for (int i = 0; i < 4; ++i) x.mutable_data()[4 + i] += 1.f;  // x at t 0, stream 1
    layer->forward(bottom, {&y});
    const auto after = values(y);
    CHECK(after[2] != Approx(before[2]).margin(1e-4));
    for (int t = 1; t < 3; ++t)
      for (int d = 0; d < 2; ++d) CHECK(after[(t * 2 + 1) * 2 + d] == before[(t * 2 + 1) * 2 + d]);
  }
}

TEST_CASE("RNN exposed state and the state carried between batches", "[layers][rnn]") {
  Blob x({3, 2, 4}), cont({3, 2}), h0({1, 2, 2}), y, hT;
  fill_gaussian(x, 0.f, 1.f, 91);
  fill_gaussian(h0, 0.f, 0.5f, 92);
  set_values(cont, kContinue);
  auto exposed = make_layer(R"(type: "RNN" recurrent_param { num_output: 2 expose_hidden: true })");
  exposed->setup({&x, &cont, &h0}, {&y, &hT});
  fill_params(*exposed, 0.8f, 93);
  exposed->forward({&x, &cont, &h0}, {&y, &hT});
  std::vector<double> h_init(h0.data(), h0.data() + 4);
  const auto ref = rnn_reference(3, 2, 4, 2, x, kContinue, nullptr, exposed->blobs(), h_init);
  require_near(values(y), ref.o, 1e-5f);
  require_near(values(hT), ref.h_last, 1e-5f);

  // Not exposed: the first batch starts from zero, the next continues from its end.
  auto carried = make_layer(R"(type: "RNN" recurrent_param { num_output: 2 })");
  Blob y2;
  carried->setup({&x, &cont}, {&y2});
  for (size_t i = 0; i < carried->blobs().size(); ++i)
    set_values(*carried->blobs()[i], values(*exposed->blobs()[i]));
  carried->forward({&x, &cont}, {&y2});
  const auto first =
      rnn_reference(3, 2, 4, 2, x, kContinue, nullptr, exposed->blobs(), std::vector<double>(4));
  require_near(values(y2), first.o, 1e-5f);
  carried->forward({&x, &cont}, {&y2});
  std::vector<double> h(first.h_last.begin(), first.h_last.end());
  const auto second = rnn_reference(3, 2, 4, 2, x, kContinue, nullptr, exposed->blobs(), h);
  require_near(values(y2), second.o, 1e-5f);
}

TEST_CASE("RNN gradient matches numeric differences for x, x_static and every blob",
          "[layers][rnn]") {
  seed_global_rng(100);
  Blob x({3, 2, 3}), cont({3, 2}), xs({2, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 101);
  fill_gaussian(xs, 0.f, 1.f, 102);
  set_values(cont, kRestart);
  auto layer = make_layer(R"(type: "RNN" recurrent_param { num_output: 2
      weight_filler { type: "uniform" min: -0.5 max: 0.5 }
      bias_filler { type: "uniform" min: -0.5 max: 0.5 } })");
  layer->setup({&x, &cont, &xs}, {&y});
  GradCheck opts;
  opts.bottoms = {0, 2};
  check_gradients(*layer, {&x, &cont, &xs}, {&y}, opts);
}

TEST_CASE("RNN with exposed state sends no gradient across it, as Caffe", "[layers][rnn]") {
  seed_global_rng(110);
  Blob x({3, 2, 3}), cont({3, 2}), h0({1, 2, 2}), y, hT;
  fill_gaussian(x, 0.f, 1.f, 111);
  fill_gaussian(h0, 0.f, 0.5f, 112);
  set_values(cont, kContinue);
  auto layer = make_layer(R"(type: "RNN" recurrent_param { num_output: 2 expose_hidden: true
      weight_filler { type: "uniform" min: -0.5 max: 0.5 }
      bias_filler { type: "uniform" min: -0.5 max: 0.5 } })");
  const BlobVec bottom{&x, &cont, &h0}, top{&y, &hT};
  layer->setup(bottom, top);
  const auto with_zero = x_diff_with_state_diffs(*layer, bottom, top, 0.f);
  const auto with_ones = x_diff_with_state_diffs(*layer, bottom, top, 1.f);
  require_near(with_ones, with_zero, 0.f);
  REQUIRE(x.asum_diff() > 0.f);
  REQUIRE(h0.asum_diff() == 0.f);
}

// --- both ---------------------------------------------------------------------------

TEST_CASE("LSTM and RNN refuse bad cont, x with fewer than 3 axes and num_output 0",
          "[layers][lstm][rnn]") {
  for (const char* type : {"LSTM", "RNN"}) {
    INFO(type);
    const std::string t = type;
    const std::string where = "layer 'rec' (" + t + ")";
    const std::string good = "name: 'rec' type: '" + t + "' recurrent_param { num_output: 2 }";
    Blob x({3, 2, 4}), cont({3, 2}), y;
    Blob bad_cont({3, 3}), flat_cont({6}), x2({3, 2}), xs_bad({3, 5});
    REQUIRE_THROWS_WITH(make_layer(good)->setup({&x, &bad_cont}, {&y}),
                        Catch::Contains(where) && Catch::Contains("cont"));
    REQUIRE_THROWS_WITH(make_layer(good)->setup({&x, &flat_cont}, {&y}),
                        Catch::Contains(where) && Catch::Contains("cont"));
    REQUIRE_THROWS_WITH(make_layer(good)->setup({&x2, &cont}, {&y}),
                        Catch::Contains(where) && Catch::Contains("3 axes"));
    REQUIRE_THROWS_WITH(make_layer(good)->setup({&x, &cont, &xs_bad}, {&y}),
                        Catch::Contains(where) && Catch::Contains("x_static"));
    REQUIRE_THROWS_WITH(
        make_layer("name: 'rec' type: '" + t + "' recurrent_param { num_output: 0 }")
            ->setup({&x, &cont}, {&y}),
        Catch::Contains(where) && Catch::Contains("num_output"));
    REQUIRE_THROWS_WITH(make_layer("name: 'rec' type: '" + t + "'")->setup({&x, &cont}, {&y}),
                        Catch::Contains(where) && Catch::Contains("num_output"));
    // A changed input size after setup, and a wrong exposed state.
    auto layer = make_layer(good);
    layer->setup({&x, &cont}, {&y});
    Blob x5({3, 2, 5});
    REQUIRE_THROWS_WITH(layer->forward({&x5, &cont}, {&y}), Catch::Contains(where));
    auto exposed = make_layer("name: 'rec' type: '" + t +
                              "' recurrent_param { num_output: 2 expose_hidden: true }");
    Blob h_bad({1, 2, 3}), c0({1, 2, 2}), hT, cT;
    BlobVec bottom{&x, &cont, &h_bad}, top{&y, &hT};
    if (t == "LSTM") bottom.push_back(&c0), top.push_back(&cT);
    REQUIRE_THROWS_WITH(exposed->setup(bottom, top),
                        Catch::Contains(where) && Catch::Contains("initial state"));
  }
}

TEST_CASE("LSTM and RNN weights round-trip through a caffemodel-style NetParameter",
          "[layers][lstm][rnn]") {
  for (const char* type : {"LSTM", "RNN"}) {
    INFO(type);
    const std::string text = std::string(R"(
      name: "rec_net"
      layer { name: "in" type: "Input" top: "x" top: "cont" top: "xs"
              input_param { shape { dim: 3 dim: 2 dim: 4 } shape { dim: 3 dim: 2 }
                            shape { dim: 2 dim: 3 } } }
      layer { name: "rec" type: ")") +
                             type + R"(" bottom: "x" bottom: "cont" bottom: "xs"
              top: "y" recurrent_param { num_output: 3
                weight_filler { type: "uniform" min: -0.5 max: 0.5 }
                bias_filler { type: "uniform" min: -0.5 max: 0.5 } } })";
    caffe::NetParameter param;
    parse_text_proto(text, "test net", param);
    seed_global_rng(120);
    Net a(param, caffe::TEST), b(param, caffe::TEST);
    const size_t nblobs = std::string(type) == "LSTM" ? 4 : 6;
    REQUIRE(a.learnable_params().size() == nblobs);
    for (Net* net : {&a, &b}) {
      fill_gaussian(*net->blob_by_name("x"), 0.f, 1.f, 121);
      fill_gaussian(*net->blob_by_name("xs"), 0.f, 1.f, 122);
      set_values(*net->blob_by_name("cont"), kRestart);
    }
    a.forward();
    b.forward();
    REQUIRE(values(*a.blob_by_name("y")) != values(*b.blob_by_name("y")));  // other weights
    caffe::NetParameter saved;
    a.to_proto(&saved);
    REQUIRE(b.copy_trained_layers_from(saved) >= 1);
    b.forward();
    require_near(values(*b.blob_by_name("y")), values(*a.blob_by_name("y")), 0.f);
  }
}

TEST_CASE("LSTM trains inside a Net: loss falls with plain gradient steps", "[layers][lstm]") {
  seed_global_rng(130);
  caffe::NetParameter param;
  parse_text_proto(R"(
    name: "lstm_train"
    force_backward: true
    layer { name: "in" type: "Input" top: "x" top: "cont" top: "target"
            input_param { shape { dim: 4 dim: 2 dim: 3 } shape { dim: 4 dim: 2 }
                          shape { dim: 4 dim: 2 dim: 2 } } }
    layer { name: "lstm" type: "LSTM" bottom: "x" bottom: "cont" top: "h"
            recurrent_param { num_output: 2
              weight_filler { type: "uniform" min: -0.3 max: 0.3 } } }
    layer { name: "loss" type: "EuclideanLoss" bottom: "h" bottom: "target" top: "loss" })",
                   "test net", param);
  Net net(param, caffe::TRAIN);
  fill_gaussian(*net.blob_by_name("x"), 0.f, 1.f, 131);
  fill_uniform(*net.blob_by_name("target"), -0.5f, 0.5f, 132);
  set_values(*net.blob_by_name("cont"), {0, 0, 1, 1, 1, 0, 1, 1});
  const float first = net.forward_backward();
  float last = first;
  for (int it = 0; it < 200; ++it) {
    for (Blob* p : net.learnable_params()) p->scale_diff(1.f);
    net.update();
    net.clear_param_diffs();
    last = net.forward_backward();
  }
  INFO("first loss " << first << ", last " << last);
  REQUIRE(last < 0.5f * first);
}

}  // namespace cortado::test
