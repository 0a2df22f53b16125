// Eltwise: SUM with coefficients, PROD (stable and quick gradients), MAX with argmax.
#include <random>

#include "neuron_structural_util.hpp"

namespace cortado::test {

namespace {
struct Three {
  Blob a{{2, 3, 2}}, b{{2, 3, 2}}, c{{2, 3, 2}}, y;
  Three() {
    fill_uniform(a, -1.f, 1.f, 1);
    fill_uniform(b, -1.f, 1.f, 2);
    fill_uniform(c, -1.f, 1.f, 3);
  }
  BlobVec bottom() { return {&a, &b, &c}; }
};
}  // namespace

TEST_CASE("Eltwise SUM adds bottoms, weighted by coeff", "[layers][eltwise]") {
  Three t;
  auto plain = make_layer(R"(type: "Eltwise")");
  plain->setup(t.bottom(), {&t.y});
  plain->forward(t.bottom(), {&t.y});
  for (int i = 0; i < t.y.count(); ++i)
    REQUIRE(t.y.data()[i] == Approx(t.a.data()[i] + t.b.data()[i] + t.c.data()[i]));
  auto weighted = make_layer(
      R"(type: "Eltwise" eltwise_param { operation: SUM coeff: 1 coeff: -2 coeff: 0.5 })");
  weighted->setup(t.bottom(), {&t.y});
  weighted->forward(t.bottom(), {&t.y});
  for (int i = 0; i < t.y.count(); ++i)
    REQUIRE(t.y.data()[i] ==
            Approx(t.a.data()[i] - 2 * t.b.data()[i] + 0.5f * t.c.data()[i]).margin(1e-6));
  check_gradients(*weighted, t.bottom(), {&t.y});
}

TEST_CASE("Eltwise PROD multiplies bottoms", "[layers][eltwise]") {
  Three t;
  for (const char* stable : {"true", "false"}) {
    auto layer = make_layer(std::string("type: 'Eltwise' eltwise_param { operation: PROD "
                                        "stable_prod_grad: ") + stable + " }");
    layer->setup(t.bottom(), {&t.y});
    layer->forward(t.bottom(), {&t.y});
    for (int i = 0; i < t.y.count(); ++i)
      REQUIRE(t.y.data()[i] == Approx(t.a.data()[i] * t.b.data()[i] * t.c.data()[i]));
    check_gradients(*layer, t.bottom(), {&t.y});
  }
}

TEST_CASE("Eltwise PROD stable gradient is exact where an input is 0", "[layers][eltwise]") {
  Blob a({2}), b({2}), y;
  set_values(a, {0.f, 2.f});
  set_values(b, {3.f, 4.f});
  auto layer = make_layer(R"(type: "Eltwise" eltwise_param { operation: PROD })");
  layer->setup({&a, &b}, {&y});
  layer->forward({&a, &b}, {&y});
  y.set_diff(1.f);
  layer->backward({&y}, {true, true}, {&a, &b});
  require_near(diffs(a), {3.f, 4.f});
  require_near(diffs(b), {0.f, 2.f});
}

TEST_CASE("Eltwise MAX takes the largest and routes the gradient to it", "[layers][eltwise]") {
  Blob a({4}), b({4}), c({4}), y;
  set_values(a, {1.f, 5.f, 2.f, 3.f});
  set_values(b, {2.f, 4.f, 2.f, 0.f});
  set_values(c, {0.f, 0.f, 7.f, 3.f});
  auto layer = make_layer(R"(type: "Eltwise" eltwise_param { operation: MAX })");
  layer->setup({&a, &b, &c}, {&y});
  layer->forward({&a, &b, &c}, {&y});
  require_near(values(y), {2.f, 5.f, 7.f, 3.f});
  set_values(y, {0, 0, 0, 0});
  std::copy_n(std::vector<float>{10, 20, 30, 40}.begin(), 4, y.mutable_diff());
  layer->backward({&y}, {true, true, true}, {&a, &b, &c});
  // A tie between the first two goes to the second (b at index 2); a later bottom
  // wins only when strictly larger (a keeps index 3 against c).
  require_near(diffs(a), {0, 20, 0, 40});
  require_near(diffs(b), {10, 0, 0, 0});
  require_near(diffs(c), {0, 0, 30, 0});
}

TEST_CASE("Eltwise MAX gradient matches numeric differences", "[layers][eltwise]") {
  // Inputs at least 0.1 apart in every element, so no step of 1e-2 changes the winner
  // (the MAX kink is between bottoms, where a fixed kink_range cannot see it).
  Blob a({2, 3, 2}), b({2, 3, 2}), c({2, 3, 2}), y;
  std::mt19937 rng(1701);
  std::uniform_real_distribution<float> noise(-0.03f, 0.03f);
  for (int i = 0; i < a.count(); ++i) {
    float levels[3] = {-0.5f, 0.1f, 0.7f};
    std::shuffle(levels, levels + 3, rng);
    a.mutable_data()[i] = levels[0] + noise(rng);
    b.mutable_data()[i] = levels[1] + noise(rng);
    c.mutable_data()[i] = levels[2] + noise(rng);
  }
  auto layer = make_layer(R"(type: "Eltwise" eltwise_param { operation: MAX })");
  layer->setup({&a, &b, &c}, {&y});
  check_gradients(*layer, {&a, &b, &c}, {&y});
}

TEST_CASE("Eltwise refuses mismatched shapes and misplaced coeff", "[layers][eltwise]") {
  Blob a({2, 3}), b({3, 2}), y;
  auto layer = make_layer(R"(name: "e" type: "Eltwise")");
  REQUIRE_THROWS_WITH(layer->setup({&a, &b}, {&y}), Catch::Contains("layer 'e' (Eltwise)"));
  Blob c({2, 3});
  auto coeff = make_layer(R"(type: "Eltwise" eltwise_param { operation: MAX coeff: 1 coeff: 1 })");
  REQUIRE_THROWS_WITH(coeff->setup({&a, &c}, {&y}), Catch::Contains("coeff"));
  auto count = make_layer(R"(type: "Eltwise" eltwise_param { coeff: 1 })");
  REQUIRE_THROWS_WITH(count->setup({&a, &c}, {&y}), Catch::Contains("coeff"));
}

}  // namespace cortado::test
