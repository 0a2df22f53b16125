// InnerProduct: shapes, axis, transpose, bias, gradients.
#include "vision_util.hpp"

namespace cortado::test::vision {

TEST_CASE("InnerProduct forward by hand", "[layers][ip]") {
  Blob x({2, 3}), y;
  set(x, {1, 2, 3, -1, 0, 1});
  auto layer = make("type: 'InnerProduct' inner_product_param { num_output: 2 }");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2, 3});
  REQUIRE(layer->blobs()[1]->shape() == std::vector<int>{2});
  set(*layer->blobs()[0], {1, 0, 1, 0, 1, 2});
  set(*layer->blobs()[1], {0.5f, -1});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 2});
  require_close(data(y), {4.5f, 7, 0.5f, 1});

  // dx = dy W, dW += dy^T x, db += sum dy
  set(*layer->blobs()[0], {1, 0, 1, 0, 1, 2});
  for (auto& p : layer->blobs()) p->set_diff(0.f);
  float* dy = y.mutable_diff();
  dy[0] = 1, dy[1] = 2, dy[2] = -1, dy[3] = 0;
  layer->backward({&y}, {true}, {&x});
  require_close(diff(x), {1, 2, 5, -1, 0, -1});
  require_close(diff(*layer->blobs()[0]), {2, 2, 2, 2, 4, 6});
  require_close(diff(*layer->blobs()[1]), {0, 2});
}

TEST_CASE("InnerProduct flattens from axis; transpose stores W as K x N", "[layers][ip]") {
  Blob x({2, 3, 2, 2}), y, yt;
  fill_gaussian(x, 0.f, 1.f, 1);
  auto plain = make("type: 'InnerProduct' inner_product_param { num_output: 4 }");
  auto trans = make("type: 'InnerProduct' inner_product_param { num_output: 4 transpose: true }");
  plain->setup({&x}, {&y});
  trans->setup({&x}, {&yt});
  REQUIRE(plain->blobs()[0]->shape() == std::vector<int>{4, 12});
  REQUIRE(trans->blobs()[0]->shape() == std::vector<int>{12, 4});
  fill_gaussian(*plain->blobs()[0], 0.f, 1.f, 2);
  fill_gaussian(*plain->blobs()[1], 0.f, 1.f, 3);
  for (int n = 0; n < 4; ++n)
    for (int k = 0; k < 12; ++k)
      trans->blobs()[0]->mutable_data()[k * 4 + n] = plain->blobs()[0]->data()[n * 12 + k];
  set(*trans->blobs()[1], data(*plain->blobs()[1]));
  plain->forward({&x}, {&y});
  trans->forward({&x}, {&yt});
  REQUIRE(y.shape() == std::vector<int>{2, 4});
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 4; ++o) {
      double s = plain->blobs()[1]->data()[o];
      for (int k = 0; k < 12; ++k)
        s += double(plain->blobs()[0]->data()[o * 12 + k]) * x.data()[n * 12 + k];
      REQUIRE(y.data()[n * 4 + o] == Approx(s).margin(1e-5));
    }
  require_close(data(yt), data(y), 1e-5f);
}

TEST_CASE("InnerProduct axis 2 keeps the leading axes", "[layers][ip]") {
  Blob x({2, 3, 5}), y;
  fill_gaussian(x, 0.f, 1.f, 4);
  auto layer =
      make("type: 'InnerProduct' inner_product_param { num_output: 2 axis: 2 bias_term: false }");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 1);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2, 5});
  fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 5);
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 3, 2});
  for (int m = 0; m < 6; ++m)
    for (int o = 0; o < 2; ++o) {
      double s = 0;
      for (int k = 0; k < 5; ++k)
        s += double(layer->blobs()[0]->data()[o * 5 + k]) * x.data()[m * 5 + k];
      REQUIRE(y.data()[m * 2 + o] == Approx(s).margin(1e-5));
    }
  check_gradients(*layer, {&x}, {&y});
}

TEST_CASE("InnerProduct gradients match numeric differences", "[layers][ip]") {
  for (const char* extra :
       {"", "transpose: true", "bias_term: false", "axis: -1 transpose: true"}) {
    INFO("params: " << extra);
    Blob x({3, 2, 4}), y;
    fill_gaussian(x, 0.f, 1.f, 6);
    auto layer = make(std::string("type: 'InnerProduct' inner_product_param { num_output: 5 ") +
                      extra + " }");
    layer->setup({&x}, {&y});
    for (size_t i = 0; i < layer->blobs().size(); ++i)
      fill_gaussian(*layer->blobs()[i], 0.f, 1.f, 7 + unsigned(i));
    check_gradients(*layer, {&x}, {&y});
  }
}

TEST_CASE("InnerProduct fillers and errors", "[layers][ip]") {
  Blob x({2, 6}), y;
  auto layer = make(R"(name: 'fc' type: 'InnerProduct' inner_product_param { num_output: 3
      weight_filler { type: 'constant' value: 2 } bias_filler { type: 'constant' value: 1 } })");
  layer->setup({&x}, {&y});
  REQUIRE(data(*layer->blobs()[0]) == std::vector<float>(18, 2.f));
  REQUIRE(data(*layer->blobs()[1]) == std::vector<float>(3, 1.f));
  Blob wrong({2, 7});
  require_error([&] { layer->reshape({&wrong}, {&y}); },
                "layer 'fc' (InnerProduct): bottom shape 2 7 (14) gives 7 inputs");
  require_error([&] { make("name: 'fc' type: 'InnerProduct'")->setup({&x}, {&y}); },
                "num_output must be given");
}

}  // namespace cortado::test::vision
