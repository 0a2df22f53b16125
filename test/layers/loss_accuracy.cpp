// Accuracy.
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {
// Four items, three classes.
//   item 0: scores (0.1, 0.7, 0.2) label 1 -> rank 1
//   item 1: scores (0.5, 0.3, 0.2) label 2 -> rank 3
//   item 2: scores (0.2, 0.3, 0.5) label 1 -> rank 2
//   item 3: scores (0.4, 0.4, 0.2) label 0 -> tied with class 1: rank 2 (ties count against)
const std::vector<float> kScores = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f,
                                    0.2f, 0.3f, 0.5f, 0.4f, 0.4f, 0.2f};
const std::vector<float> kLabels = {1, 2, 1, 0};

std::vector<float> accuracy(const std::string& extra, bool per_class = false) {
  Blob x({4, 3}), label({4}), acc, by_class;
  fill(x, kScores);
  fill(label, kLabels);
  auto layer = layer_of("type: 'Accuracy' " + extra);
  BlobVec top{&acc};
  if (per_class) top.push_back(&by_class);
  layer->setup({&x, &label}, top);
  CHECK(layer->forward({&x, &label}, top) == 0.f);  // not a loss
  CHECK(acc.num_axes() == 0);
  std::vector<float> out{acc.data()[0]};
  if (per_class) {
    REQUIRE(by_class.shape() == std::vector<int>{3});
    for (float v : data_of(by_class)) out.push_back(v);
  }
  return out;
}
}  // namespace

TEST_CASE("Accuracy top_k matches hand-worked values", "[layers][accuracy]") {
  CHECK(accuracy("")[0] == Approx(0.25f));
  CHECK(accuracy("accuracy_param { top_k: 2 }")[0] == Approx(0.75f));
  CHECK(accuracy("accuracy_param { top_k: 3 }")[0] == Approx(1.f));
}

TEST_CASE("Accuracy skips ignore_label and reports per class", "[layers][accuracy]") {
  // Without label 1 (items 0, 2): item 1 (rank 3) and item 3 (rank 2).
  CHECK(accuracy("accuracy_param { ignore_label: 1 }")[0] == Approx(0.f));
  CHECK(accuracy("accuracy_param { ignore_label: 1 top_k: 2 }")[0] == Approx(0.5f));
  // Per class at top 2: class 0 1/1, class 1 2/2, class 2 0/1.
  expect_near(accuracy("accuracy_param { top_k: 2 }", true), {0.75f, 1.f, 1.f, 0.f});
  // A class with no labelled items reads 0.
  expect_near(accuracy("accuracy_param { ignore_label: 0 }", true), {1.f / 3, 0.f, 0.5f, 0.f});
}

TEST_CASE("Accuracy along another axis with spatial positions", "[layers][accuracy]") {
  // (1, 3, 2): classes on axis 1, two positions; position 0 scores (1, 5, 2), position 1 (3, 0, 1).
  Blob x({1, 3, 2}), label({1, 2}), acc;
  fill(x, {1, 3, 5, 0, 2, 1});
  fill(label, {1, 2});
  auto layer = layer_of("type: 'Accuracy'");
  layer->setup({&x, &label}, {&acc});
  layer->forward({&x, &label}, {&acc});
  CHECK(acc.data()[0] == Approx(0.5f));
  // The same scores laid out (1, 2, 3) with classes last.
  Blob y({1, 2, 3});
  fill(y, {1, 5, 2, 3, 0, 1});
  auto last = layer_of("type: 'Accuracy' accuracy_param { axis: 2 top_k: 2 }");
  last->setup({&y, &label}, {&acc});
  last->forward({&y, &label}, {&acc});
  CHECK(acc.data()[0] == Approx(1.f));
}

TEST_CASE("Accuracy rejects top_k above the class count and has no backward",
          "[layers][accuracy]") {
  Blob x({4, 3}), label({4}), acc;
  fill(x, kScores);
  fill(label, kLabels);
  auto layer = layer_of("type: 'Accuracy' accuracy_param { top_k: 4 }");
  CHECK_THROWS_WITH(layer->setup({&x, &label}, {&acc}), Catch::Contains("top_k"));
  auto ok = layer_of("type: 'Accuracy'");
  ok->setup({&x, &label}, {&acc});
  CHECK_THROWS_AS(ok->backward({&acc}, {true, false}, {&x, &label}), Error);
}

}  // namespace cortado::test::lossdata
