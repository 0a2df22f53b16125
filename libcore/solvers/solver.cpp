#include "solvers/solver.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "net/net.hpp"
#include "net/upgrade.hpp"
#include "solvers/data_cursors.hpp"
#include "solvers/lr_policy.hpp"
#include "solvers/nonfinite.hpp"
#include "solvers/solver_params.hpp"
#include "solvers/update_rule.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/train_graph.hpp"
#include "solvers/cuda_graph_plan.hpp"
#endif

namespace fs = std::filesystem;

namespace cortado {

Solver::Solver(const caffe::SolverParameter& param, const std::string& where)
    : param_(param), where_(where) {
  LOG_INFO("Initializing solver from parameters: \n{}", to_text_proto(param_));
  check_solver_params(param_, where_);
  if (param_.random_seed() >= 0) seed_global_rng(static_cast<uint64_t>(param_.random_seed()));
  init_train_net();
  init_test_nets();
  seed_data_layers(*net_);
  for (auto& t : test_nets_) seed_data_layers(*t);
  std::vector<UpdateRule::Param> params;
  const auto& learnable = net_->learnable_params();
  for (size_t i = 0; i < learnable.size(); ++i)
    params.push_back({learnable[i], net_->params_lr()[i], net_->params_weight_decay()[i]});
  rule_ = make_update_rule(param_, std::move(params));
  for (int i = 0; i < param_.weights_size(); ++i) load_weights(param_.weights(i));
  check_snapshot_folder();
  LOG_INFO("Solver scaffolding done.");
  run_start_ = display_start_ = std::chrono::steady_clock::now();
}

Solver::~Solver() = default;

// Caffe's CheckSnapshotWritePermissions: fail now rather than after hours of training.
void Solver::check_snapshot_folder() const {
  if (param_.snapshot() <= 0 && !param_.snapshot_after_train()) return;
  const fs::path folder = fs::path(param_.snapshot_prefix()).parent_path();
  const std::string dir = folder.empty() ? "." : folder.string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
    throw Error(where_, "cannot write snapshots with snapshot_prefix '" + param_.snapshot_prefix() +
                            "': folder '" + dir + "' is missing, not a folder or not writable");
}

void Solver::init_train_net() {
  caffe::NetParameter net_param;
  if (param_.has_train_net_param()) {
    LOG_INFO("Creating training net specified in train_net_param.");
    net_param = param_.train_net_param();
  } else if (param_.has_train_net()) {
    LOG_INFO("Creating training net from train_net file: {}", param_.train_net());
    read_net_param_text(param_.train_net(), &net_param);
  } else if (param_.has_net_param()) {
    LOG_INFO("Creating training net specified in net_param.");
    net_param = param_.net_param();
  } else {
    LOG_INFO("Creating training net from net file: {}", param_.net());
    read_net_param_text(param_.net(), &net_param);
  }
  // Precedence, lowest first: the solver's default phase, the net's own state, train_state.
  caffe::NetState state;
  state.set_phase(caffe::TRAIN);
  state.MergeFrom(net_param.state());
  state.MergeFrom(param_.train_state());
  *net_param.mutable_state() = state;
  net_ = std::make_unique<Net>(net_param);
}

void Solver::init_test_nets() {
  std::vector<std::string> sources;
  std::vector<caffe::NetParameter> params;
  for (const auto& p : param_.test_net_param()) {
    sources.push_back("test_net_param");
    params.push_back(p);
  }
  for (const auto& file : param_.test_net()) {
    sources.push_back("test_net file: " + file);
    params.emplace_back();
    read_net_param_text(file, &params.back());
  }
  // A generic net (net / net_param) is tested once per remaining test_iter.
  const int remaining = param_.test_iter_size() - static_cast<int>(params.size());
  for (int i = 0; i < remaining && (param_.has_net() || param_.has_net_param()); ++i) {
    params.emplace_back();
    if (param_.has_net_param()) {
      sources.push_back("net_param");
      params.back() = param_.net_param();
    } else {
      sources.push_back("net file: " + param_.net());
      read_net_param_text(param_.net(), &params.back());
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    caffe::NetState state;
    state.set_phase(caffe::TEST);
    state.MergeFrom(params[i].state());
    if (param_.test_state_size() > 0) state.MergeFrom(param_.test_state(static_cast<int>(i)));
    *params[i].mutable_state() = state;
    LOG_INFO("Creating test net (#{}) specified by {}", i, sources[i]);
    test_nets_.push_back(std::make_unique<Net>(params[i]));
    test_nets_.back()->set_debug_info(param_.debug_info());
  }
}

void Solver::load_weights(const std::string& caffemodels) {
  for (const auto& file : split_commas(caffemodels)) {
    LOG_INFO("Copying weights from {}", file);
    net_->copy_trained_layers_from(file);
    for (auto& t : test_nets_) t->copy_trained_layers_from(file);
  }
}

void Solver::load_weights(const caffe::NetParameter& trained) {
  net_->copy_trained_layers_from(trained);
  for (auto& t : test_nets_) t->copy_trained_layers_from(trained);
}

void Solver::set_mode(Mode mode) {
  mode_ = mode;
  set_cuda_graph(cuda_graph_);  // decided again at the next step
  net_->set_mode(mode);
  for (auto& t : test_nets_) t->set_mode(mode);
  rule_->set_gpu(mode == Mode::gpu);
}

void Solver::set_cuda_graph(bool on) {
  cuda_graph_ = on;
  graph_planned_ = false;
#ifdef CORTADO_WITH_CUDA
  graph_.reset();
#endif
}

// Once per mode and setting: whether the GPU iteration is replayed from a CUDA graph.
void Solver::prepare_cuda_graph() {
  if (graph_planned_) return;
  graph_planned_ = true;
#ifdef CORTADO_WITH_CUDA
  graph_.reset();
  if (mode_ != Mode::gpu || !cuda_graph_) return;
  CudaGraphPlan plan = plan_cuda_graph(*net_, param_);
  if (!plan.capturable) {
    LOG_INFO("CUDA graph: not used for net '{}': {}", net_->name(), plan.reason);
    return;
  }
  try {
    graph_ = std::make_unique<gpu::TrainGraph>(*net_, *rule_, plan);
  } catch (const std::exception& e) {
    LOG_WARN("CUDA graph: not used for net '{}': {}", net_->name(), e.what());
  }
#endif
}

std::vector<std::shared_ptr<Blob>>& Solver::history() { return rule_->history(); }
const char* Solver::type() const { return rule_->type(); }

float Solver::learning_rate() const {
  int step = current_step_;
  return cortado::learning_rate(param_, iter_, &step);
}

double Solver::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start_).count();
}

// --- the training loop ------------------------------------------------------

void Solver::step(int iters) {
  const int stop_iter = iter_ + iters;
  if (!keep_losses_) {
    losses_.clear();
    smoothed_loss_ = 0;
    loss_start_iter_ = iter_;
  }
  keep_losses_ = false;
  display_start_ = std::chrono::steady_clock::now();
  display_last_iter_ = iter_;
  prepare_cuda_graph();
  while (iter_ < stop_iter) {
#ifdef CORTADO_WITH_CUDA
    if (!graph_)  // the graph runner zeroes the diffs in its iteration
#endif
      net_->clear_param_diffs();
    if (param_.test_interval() > 0 && iter_ % param_.test_interval() == 0 &&
        (iter_ > 0 || param_.test_initialization())) {
      finish_iterations();
      test_all();
      if (requested_early_exit_) break;
    }
    run_iteration();
    const SolverAction request = action_ ? action_() : SolverAction::none;
    if ((param_.snapshot() > 0 && iter_ % param_.snapshot() == 0) ||
        request == SolverAction::snapshot) {
      finish_iterations();
      snapshot();
    }
    if (request == SolverAction::stop) {
      requested_early_exit_ = true;
      break;
    }
  }
  finish_iterations();
}

void Solver::run_iteration() {
#ifdef CORTADO_WITH_CUDA
  if (graph_) {
    run_graph_iteration();
    return;
  }
#endif
  const bool show = param_.display() > 0 && iter_ % param_.display() == 0;
  net_->set_debug_info(show && param_.debug_info());
  float loss = 0;
  for (int i = 0; i < param_.iter_size(); ++i) {
    const float l = net_->forward_backward();
    check_loss_finite(l, iter_);
    loss += l;
  }
  loss /= static_cast<float>(param_.iter_size());
  update_smoothed_loss(loss, iter_);
  // Caffe computes the rate after the display lines (multistep logs its step there).
  if (show) display(learning_rate());
  const float rate = cortado::learning_rate(param_, iter_, &current_step_);
  if (show) LOG_INFO("Iteration {}, lr = {:g}", iter_, rate);
  rule_->apply(rate, iter_);
  ++iter_;
}

// run_iteration with the CUDA graph runner (iter_size 1, no debug_info): the update
// is part of the replayed graph, so the rate is computed first (a MultiStep line
// comes before the display lines rather than after). A replayed iteration is only
// queued: the previous one's loss is read while this one runs on the GPU, and this
// one's at once only when the display needs it.
void Solver::run_graph_iteration() {
#ifdef CORTADO_WITH_CUDA
  const bool show = param_.display() > 0 && iter_ % param_.display() == 0;
  net_->set_debug_info(false);
  const float rate = cortado::learning_rate(param_, iter_, &current_step_);
  graph_->start(rate, iter_);
  finish_iterations(show ? 0 : 1);
  if (show) display(rate);
  if (show) LOG_INFO("Iteration {}, lr = {:g}", iter_, rate);
  ++iter_;
#endif
}

// Collects the iterations still running on the GPU but the last `leave_running`; all
// of them before anything else reads the net or the solver's state.
void Solver::finish_iterations([[maybe_unused]] int leave_running) {
#ifdef CORTADO_WITH_CUDA
  while (graph_ && graph_->started() > leave_running) {
    const gpu::TrainGraph::Result r = graph_->collect();
    check_loss_finite(r.loss, r.iter);
    update_smoothed_loss(r.loss, r.iter);
  }
#endif
}

void Solver::check_loss_finite(float loss, int iter) const {
  if (std::isfinite(loss)) return;
  std::string culprit = first_non_finite(*net_);
  throw Error(
      "iteration " + std::to_string(iter),
      fmt::format("the training loss became {}; first non-finite blob: {}; training "
                  "stopped (last snapshot kept: {})",
                  std::isnan(loss) ? "NaN" : "infinite", culprit.empty() ? "none found" : culprit,
                  last_state_.empty() ? "none written" : last_state_));
}

void Solver::update_smoothed_loss(float loss, int iter) {
  const int average = param_.average_loss();
  if (static_cast<int>(losses_.size()) < average) {
    losses_.push_back(loss);
    const float size = static_cast<float>(losses_.size());
    smoothed_loss_ = (smoothed_loss_ * (size - 1) + loss) / size;
  } else {
    const int idx = (iter - loss_start_iter_) % average;
    smoothed_loss_ += (loss - losses_[idx]) / static_cast<float>(average);
    losses_[idx] = loss;
  }
}

void Solver::display(float lr) {
  const auto now = std::chrono::steady_clock::now();
  const float lapse = std::chrono::duration<float>(now - display_start_).count();
  const float per_s = static_cast<float>(iter_ - display_last_iter_) / (lapse > 0 ? lapse : 1.f);
  LOG_INFO("Iteration {} ({:g} iter/s, {:g}s/{} iters), loss = {:g}", iter_, per_s, lapse,
           param_.display(), smoothed_loss_);
  display_start_ = now;
  display_last_iter_ = iter_;
  NamedValues outputs;
  int score_index = 0;
  const auto& result = net_->output_blobs();
  for (size_t j = 0; j < result.size(); ++j) {
    const int blob_index = net_->output_blob_indices()[j];
    const std::string& name = net_->blob_names()[blob_index];
    const float weight = net_->blob_loss_weights()[blob_index];
    const float* values = result[j]->data();
    for (int k = 0; k < result[j]->count(); ++k) {
      const std::string weighted =
          weight != 0 ? fmt::format(" (* {:g} = {:g} loss)", weight, weight * values[k]) : "";
      LOG_INFO("    Train net output #{}: {} = {:g}{}", score_index++, name, values[k], weighted);
      outputs.emplace_back(output_value_name(name, k, result[j]->count()), values[k]);
    }
  }
  if (metrics_) metrics_->train(iter_, seconds(), lr, smoothed_loss_, outputs);
}

void Solver::solve() {
  LOG_INFO("Solving {}", net_->name());
  LOG_INFO("Learning Rate Policy: {}", param_.lr_policy());
  requested_early_exit_ = false;
  step(param_.max_iter() - iter_);
  // Caffe writes the final snapshot only with snapshot_after_train; a requested
  // stop always writes one, so that an interrupted run can be resumed.
  if ((param_.snapshot_after_train() || requested_early_exit_) && last_snapshot_iter_ != iter_)
    snapshot();
  if (requested_early_exit_) {
    LOG_INFO("Optimization stopped early.");
    return;
  }
  if (param_.display() > 0 && iter_ % param_.display() == 0) {
    const float loss = net_->forward();
    update_smoothed_loss(loss, iter_);
    LOG_INFO("Iteration {}, loss = {:g}", iter_, smoothed_loss_);
  }
  if (param_.test_interval() > 0 && iter_ % param_.test_interval() == 0) test_all();
  LOG_INFO("Optimization Done.");
}

}  // namespace cortado
