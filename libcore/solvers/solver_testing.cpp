// The solver's test phase: each test net runs test_iter batches on the train
// net's current weights, outputs averaged and logged as Caffe logs them.
#include <fmt/format.h>

#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "util/log.hpp"

namespace cortado {

std::vector<NamedValues> Solver::test_all() {
  std::vector<NamedValues> scores;
  for (int i = 0; i < num_test_nets() && !requested_early_exit_; ++i) scores.push_back(test(i));
  return scores;
}

// Between test batches, a snapshot request is served and a stop ends the test.
bool Solver::handle_test_requests() {
  if (!action_) return false;
  for (SolverAction a = action_(); a != SolverAction::none; a = action_()) {
    if (a == SolverAction::snapshot) snapshot();
    if (a == SolverAction::stop) requested_early_exit_ = true;
  }
  return requested_early_exit_;
}

NamedValues Solver::test(int net_id) {
  LOG_INFO("Iteration {}, Testing net (#{})", iter_, net_id);
  Net& test_net = *test_nets_[net_id];
  test_net.share_trained_layers_with(*net_);
  const int batches = param_.test_iter(net_id);
  std::vector<float> score;
  std::vector<int> score_output;
  float loss = 0;
  for (int i = 0; i < batches; ++i) {
    if (handle_test_requests()) break;
    const float batch_loss = test_net.forward();
    if (param_.test_compute_loss()) loss += batch_loss;
    size_t idx = 0;
    const auto& result = test_net.output_blobs();
    for (size_t j = 0; j < result.size(); ++j)
      for (int k = 0; k < result[j]->count(); ++k, ++idx) {
        if (i == 0) {
          score.push_back(result[j]->data()[k]);
          score_output.push_back(static_cast<int>(j));
        } else {
          score[idx] += result[j]->data()[k];
        }
      }
  }
  if (requested_early_exit_) {
    LOG_INFO("Test interrupted.");
    return {};
  }
  if (param_.test_compute_loss()) LOG_INFO("Test loss: {:g}", loss / static_cast<float>(batches));
  NamedValues outputs;
  std::vector<int> seen(test_net.output_blobs().size(), 0);
  for (size_t i = 0; i < score.size(); ++i) {
    const int j = score_output[i];
    const int blob_index = test_net.output_blob_indices()[j];
    const std::string& name = test_net.blob_names()[blob_index];
    const float weight = test_net.blob_loss_weights()[blob_index];
    const float mean = score[i] / static_cast<float>(batches);
    const std::string weighted =
        weight != 0 ? fmt::format(" (* {:g} = {:g} loss)", weight, weight * mean) : "";
    LOG_INFO("    Test net output #{}: {} = {:g}{}", i, name, mean, weighted);
    outputs.emplace_back(output_value_name(name, seen[j]++, test_net.output_blobs()[j]->count()),
                         mean);
  }
  if (metrics_) metrics_->test(net_id, iter_, seconds(), outputs);
  return outputs;
}

}  // namespace cortado
